"""helmetscan installed like a library (`pip install .`, not editable) runs from any folder: its manifest, templates
and configs travel in the package, and the weights are found through HELMETSCAN_WEIGHTS."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BIKES, ROOT, WEIGHTS, needs_bikes, needs_weights

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A non-editable install of a copy of the source tree into its own folder (dependencies from this environment)."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    shutil.copytree(ROOT / "helmetscan", source / "helmetscan", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    target = tmp / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"pip cannot build the package here: {proc.stderr.strip().splitlines()[-1:]}")
    shutil.rmtree(source)  # nothing may be read from a source tree
    return target


def run(installed, *args, cwd, env=None):
    environment = {**os.environ, "PYTHONPATH": str(installed), **(env or {})}
    return subprocess.run([sys.executable, "-m", "helmetscan", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=environment, timeout=600)


def test_the_installed_package_carries_its_data(installed, tmp_path):
    package = installed / "helmetscan"
    for name in ("weights/manifest.toml", "results/templates/report.html.j2", "review/templates/review.html.j2",
                 "configs/coco-yolov12m.toml", "results/locale/ko/LC_MESSAGES/helmetscan.mo",
                 "results/locale/ko/LC_MESSAGES/helmetscan.po"):
        assert (package / name).is_file(), name
    assert not list(package.rglob("*.csv")), "labelling data is data of the repository, not of the package"
    proc = run(installed, "config", "--json", cwd=tmp_path, env={"HELMETSCAN_WEIGHTS": str(tmp_path / "w")})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["weights_dir"] == str(tmp_path / "w")
    where = subprocess.run([sys.executable, "-c", "import helmetscan; print(helmetscan.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)})
    assert where.stdout.strip().startswith(str(installed))


@needs_weights
@needs_bikes
def test_analyze_runs_from_any_folder_with_the_weights_from_the_environment(installed, tmp_path):
    shutil.copy(BIKES, tmp_path / "bikes.mp4")
    proc = run(installed, "analyze", "bikes.mp4", "--out", "night", cwd=tmp_path,
               env={"HELMETSCAN_WEIGHTS": str(WEIGHTS)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "night" / "report.html").is_file()
    [video_json] = (tmp_path / "night").glob("bikes-*/video.json")
    video = json.loads(video_json.read_text())
    assert video["status"] == "done" and video["counts"]["frames_sampled"] == 50
    missing = run(installed, "analyze", "bikes.mp4", "--out", "n2", cwd=tmp_path,
                  env={"HELMETSCAN_WEIGHTS": str(tmp_path / "empty")})
    assert missing.returncode == 1 and "weight file missing" in missing.stderr and "fetch-weights" in missing.stderr
