"""`analyze --executor ray`: a local Ray cluster (2 CPUs) gives exactly the records of the default executor, a worker
killed mid-video is replaced and its video retried, and without Ray the option is one line and exit 2."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from helmetscan.config import Settings
from helmetscan.pipeline.loading import Models
from helmetscan.results.database import ResultsDB
from helmetscan.runner.batch import BatchRunner
from helmetscan.runner.discovery import discover
from test_nightly import night, table
from test_pipeline import FakeStage2, fake_models, make_ocr, plates, stage1

KILL_MARKER_ENV = "HELMETSCAN_TEST_KILL_MARKER"


def killing_models(settings):
    """Fake models whose stage 1 kills its own worker process (SIGKILL) the first time any worker runs it."""

    def stage1_that_dies_once(image):
        marker = Path(os.environ[KILL_MARKER_ENV])
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return stage1(image)

    return Models(stage1_that_dies_once, FakeStage2(), plates, make_ocr([]), {"fake.pt": "ab" * 32})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'helmetscan[ray]')")
    marker = tmp_path_factory.mktemp("kill") / "killed"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]), KILL_MARKER_ENV: str(marker)}})
    yield marker
    ray.shutdown()


def snapshot(out: Path):
    """What a night leaves in OUT, without timings: the CSV, and every video and violation record in the database."""
    db = ResultsDB(out, create=False)
    videos = sorted((r["sha256"], r["video_key"], r["status"], r["error"] is None) for r in
                    db.db.query("select * from videos"))
    violations = sorted((r["violation_id"], r["video_sha256"], r["record"]) for r in
                        db.db.query("select * from violations"))
    db.close()
    return table(out), videos, violations


def run(folder: Path, out: Path, executor=None):
    found = discover([folder])
    runner = BatchRunner(Settings(recording={"time_zone": "Asia/Seoul"}), fake_models(None))
    return runner.run(found.videos, out, roots=found.roots, executor=executor)


def test_ray_gives_exactly_the_records_of_the_default_executor(cluster, tmp_path):
    from helmetscan.runner.ray_executor import RayExecutor

    folder = night(tmp_path / "sd", [f"bus{i % 2}/2026112{i}_120000_NF.avi" for i in range(1, 5)])
    local = run(folder, tmp_path / "local")
    remote = run(folder, tmp_path / "ray", RayExecutor(workers=2, model_factory=fake_models))
    assert len(local.videos) == len(remote.videos) == 4
    csv_a, videos_a, violations_a = snapshot(tmp_path / "local")
    csv_b, videos_b, violations_b = snapshot(tmp_path / "ray")
    assert csv_a.equals(csv_b) and videos_a == videos_b
    assert [v[:2] for v in violations_a] == [v[:2] for v in violations_b]
    assert [json.loads(v[2]) for v in violations_a] == [json.loads(v[2]) for v in violations_b]
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=tmp_path / "ray", capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout
    again = run(folder, tmp_path / "ray", RayExecutor(workers=2, model_factory=fake_models))
    assert again.videos == [] and len(again.skipped) == 4  # resume works the same on Ray


def test_a_worker_killed_mid_video_is_replaced_and_the_video_retried(cluster, tmp_path):
    from helmetscan.runner.ray_executor import RayExecutor

    folder = night(tmp_path / "sd", [f"van/2026112{i}_120000_NF.avi" for i in range(1, 4)])
    local = run(folder, tmp_path / "local")
    assert not cluster.exists()
    remote = run(folder, tmp_path / "ray", RayExecutor(workers=2, model_factory=killing_models))
    assert cluster.exists()  # a worker did die
    assert [v.status.value for v in remote.videos] == ["done"] * 3 and remote.failures == []
    csv_ray, videos_ray, _ = snapshot(tmp_path / "ray")
    csv_local, videos_local, _ = snapshot(tmp_path / "local")
    assert csv_ray.equals(csv_local) and videos_ray == videos_local and len(local.videos) == 3


def test_executor_ray_without_ray_is_one_line_and_exit_2(tmp_path):
    code = "import sys; sys.modules['ray'] = None; from helmetscan.cli import app; app()"
    proc = subprocess.run([sys.executable, "-c", code, "analyze", str(tmp_path), "--executor", "ray"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --executor ray needs Ray: pip install 'helmetscan[ray]'"
