"""First run and command-line polish (issue #35, item 5): the bundled sample shows a violation, the summary and the
settings listing read at 80 columns, each clone runs its own code, `--help` shows what it says, and `report`, `config`
and `review` say what is wrong or missing instead of going on silently."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import typer.main
from rich.console import Console
from typer.testing import CliRunner

from conftest import FOOTAGE, ROOT, needs_footage, needs_weights
from helmetscan.cli import analyst, app
from test_report import _store
from test_review import results_folder

#: The film clip with a bare-headed rider and pillion, used by path (../shared is never copied into the repository).
SAMPLE = FOOTAGE


@pytest.fixture
def at_80(monkeypatch):
    """The commands' results console at 80 columns, without colour; returns the text printed so far."""
    buffer = io.StringIO()
    monkeypatch.setattr(analyst, "out_console", Console(file=buffer, width=80, color_system=None))
    return buffer.getvalue


def _fits_80(text: str, paths: tuple[str, ...] = ("Report:", "CSV:")) -> None:
    """Every line fits 80 columns (as a terminal shows it: a Hangul syllable takes two), but the report's paths
    (lines starting with ``paths``, printed whole so they can be copied)."""
    from rich.cells import cell_len

    long = [line for line in text.splitlines() if cell_len(line.rstrip()) > 80 and not line.startswith(paths)]
    assert not long, long


# ---- 1. the bundled sample ---------------------------------------------------------------------------------------

@pytest.mark.integration
@needs_weights
@needs_footage
def test_analyze_of_the_sample_lists_its_violation_in_80_columns(tmp_path, at_80):
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / SAMPLE.name), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = at_80()
    _fits_80(text)
    [line] = [line for line in text.splitlines() if "TN05AT7024" in line]
    assert line.split()[0] == "rider_pill…-b4740172af_t0001" and line.split()[-2:] == ["1", "TN05AT7024"]
    assert text.rstrip().splitlines()[-2] == f"Report: {tmp_path / 'out' / 'report.html'}"


# ---- 2. the summary at 80 columns ---------------------------------------------------------------------------------

def _summarised(out: Path, lang: str = "en") -> None:
    """Print the summary of a batch of four videos, one with a long name, each with one violation (plates
    TN05AT7024, unread, 서울12가3456 and unread; only the long one has a local time), in ``lang``."""
    from helmetscan.results.evidence import load_results
    from helmetscan.runner.batch import BatchResult

    long_key = "FILE0001_a_very_long_dashcam_file_name_20261121-3fa2b9c01d"
    _store(out, long_key, f"{long_key}_t0003", "/sd/long.mp4", "", "unread",
           local_time="2026-11-21T15:30:12.400+09:00")
    ids = results_folder(out)  # clip_0..2 (plates TN05AT7024, unread, 서울12가3456); stores the long one too
    videos, _ = load_results(out)
    assert len(videos) == 4 and len(ids) == 4
    analyst._summary(BatchResult(videos, [], 12.5), 0, out, lang)


def test_the_summary_reads_at_80_columns_and_lists_each_violation(tmp_path, at_80):
    _summarised(tmp_path)
    text = at_80()
    _fits_80(text)
    for label in ("videos analysed", "footage", "skipped (done before)", "wall time", "failed", "× real time",
                  "frames analysed", "riders tracked", "violations", "plates read"):
        assert label in text, label
    assert "…" not in text.split("violations of these videos")[0], "a figure's label is cut"
    rows = {line.split()[0]: line.split() for line in text.splitlines() if "_t000" in line}
    assert rows["clip_0_t0001"][-2:] == ["1", "TN05AT7024"] and rows["clip_1_t0001"][-1] == "unread"
    assert rows["clip_2_t0001"][-1] == "서울12가3456" and rows["clip_0_t0001"][1:3] == ["0:00.4", "into"]
    short = "FILE0001_a…-3fa2b9c01d_t0003"
    assert rows[short][1:3] == ["2026-11-21", "15:30:12"] and rows[short][-1] == "unread"
    assert "violations of these videos: 4" in text and text.rstrip().endswith(f"CSV:    {tmp_path / 'violations.csv'}")


def test_the_summary_in_korean_reads_at_80_columns(tmp_path, at_80):
    """Hangul takes two columns: the Korean labels, headers and values still fit 80 (rich measures them)."""
    _summarised(tmp_path, "ko")
    text = at_80()
    _fits_80(text, ("보고서:", "CSV:"))
    lines = text.splitlines()
    assert lines[0] == "helmetscan 분석 요약"
    for label in ("분석한 영상", "영상 길이", "건너뜀 (이미 분석함)", "처리 시간", "실패", "처리 배속", "분석한 프레임",
                  "추적한 이륜차", "위반", "판독한 번호판", "12.5초"):
        assert label in text, label
    assert "…" not in text.split("이번 영상의 위반")[0], "a figure's label is cut"
    header = lines.index("이번 영상의 위반: 4건") + 1
    assert lines[header].split() == ["위반", "일시", "미착용", "인원", "번호판"]
    rows = {line.split()[0]: line.split() for line in lines if "_t000" in line}
    assert rows["clip_0_t0001"][1:3] == ["영상", "0:00.4"] and rows["clip_0_t0001"][-1] == "TN05AT7024"
    assert rows["clip_1_t0001"][-2:] == ["판독", "불가"] and rows["clip_2_t0001"][-1] == "서울12가3456"
    assert rows["FILE0001_a…-3fa2b9c01d_t0003"][1:3] == ["2026-11-21", "15:30:12"]
    assert lines[-2:] == [f"보고서: {tmp_path / 'report.html'}", f"CSV:    {tmp_path / 'violations.csv'}"]
    body = "\n".join(lines[:-2])  # (the paths name the test)
    for english in ("summary", "videos analysed", "footage", "violations of these videos", "into video", "unread",
                    "plate", "time"):
        assert english not in body, english


def test_the_summary_lists_only_this_batchs_videos(tmp_path, at_80):
    from helmetscan.results.evidence import load_results
    from helmetscan.runner.batch import BatchResult

    results_folder(tmp_path)
    videos, _ = load_results(tmp_path)
    analyst._summary(BatchResult(videos[:1], [], 1.0), 0, tmp_path)
    text = at_80()
    assert "clip_0_t0001" in text and "clip_1_t0001" not in text and "violations of these videos: 1" in text


# ---- 3, 4. the helmetscan command and one environment per clone -----------------------------------------------------

def test_make_says_where_the_helmetscan_command_is():
    proc = subprocess.run(["make", "-s", "path"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (f"helmetscan is in {ROOT}/.venv/bin: add it to PATH, or run: source "
                                   f"{ROOT}/.venv/bin/activate")
    demo = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "path" in demo.splitlines()[-1] or "helmetscan is in" in demo


def _shared_env() -> Path:
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:12]
    return Path(os.environ.get("ENV_ROOT", Path.home() / ".cache" / "helmetscan")) / f"venv-{digest}"


@pytest.mark.integration
@pytest.mark.skipif(not (_shared_env() / ".complete").is_file(), reason="the shared environment is not built")
def test_make_install_in_another_clone_changes_nothing_this_clone_runs(tmp_path):
    shared_python = _shared_env() / "bin" / "python"
    where = "import helmetscan; print(helmetscan.__file__)"

    def imported(python):
        proc = subprocess.run([str(python), "-c", where], cwd=tmp_path, capture_output=True, text=True)
        return proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]

    shared_before = imported(shared_python)
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "helmetscan", clone / "helmetscan", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml", "requirements.txt", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, clone / name)
    proc = subprocess.run(["make", "-s", "install"], cwd=clone, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k not in ("VENV", "LOCAL_VENV", "MAKEFLAGS")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert imported(clone / ".venv" / "bin" / "python") == str(clone / "helmetscan" / "__init__.py")
    assert imported(shared_python) == shared_before, "the clone's make install changed the shared environment"
    assert (clone / ".venv" / "bin" / "helmetscan").is_file()
    torch = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", "import torch, helmetscan.cli"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert torch.returncode == 0, torch.stderr[-2000:]  # the heavy packages come from the shared environment


# ---- 5. --help ----------------------------------------------------------------------------------------------------

def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_help_shows_the_ray_extra_and_no_bool_label_on_flags():
    assert "pip install 'helmetscan[ray]'" in _help("analyze")
    for name in [None, *typer.main.get_command(app).commands]:
        text = _help(*([name] if name else []))
        assert "<bool>" not in text, name
    assert "<float>" in _help("analyze") and "--force " in _help("analyze")  # other options keep their type


# ---- 6. config ----------------------------------------------------------------------------------------------------

def test_config_reads_at_80_columns_in_a_few_lines_per_setting(at_80):
    from helmetscan.config import Settings
    from helmetscan.core.fielddoc import iter_fields

    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    text = at_80()
    _fits_80(text)
    names = [name for name, *_ in iter_fields(Settings, sections=False)]
    lines = text.splitlines()
    assert len(lines) < 3.5 * len(names), len(lines)  # the five-column table took 820 lines for 93 settings
    assert [line.split(" = ")[0] for line in lines[1:] if " = " in line and not line.startswith(" ")] == names
    assert "sampling.fps = 5.0  # frames/s" in lines
    assert any(line.startswith("    Frames per second analysed") for line in lines)


def test_config_changed_prints_only_the_settings_a_file_changes(tmp_path, at_80):
    cfg = tmp_path / "night.toml"
    cfg.write_text("[sampling]\nfps = 2.5\n[plates]\nformats = ['kr', 'kr_region', 'kr_old', 'in', 'vn', 'generic']\n")
    result = CliRunner().invoke(app, ["config", "--config", str(cfg), "--changed"])
    assert result.exit_code == 0, result.output
    lines = at_80().splitlines()
    assert lines[1:] == ["sampling.fps = 2.5  # frames/s, default 5.0",
                         "    Frames per second analysed, taken at the stream's timestamps."], lines
    assert lines[0].endswith(f"({cfg}): 1")  # plates.formats is set, but to its default
    CliRunner().invoke(app, ["config", "--config", str(cfg), "--changed", "--json"])
    assert '"sampling": {\n    "fps": 2.5\n  }\n}' in at_80()
    result = CliRunner().invoke(app, ["config", "--changed"])
    assert result.exit_code == 0 and at_80().rstrip().endswith("(no --config): 0")


# ---- 7. report --date, --vehicle ----------------------------------------------------------------------------------

@pytest.fixture
def night(tmp_path):
    results_folder(tmp_path, local_time="2026-11-21T15:30:12.400+09:00")
    with sqlite3.connect(tmp_path / "helmetscan.db") as db:
        db.execute("update videos set vehicle = 'bus12' where video_key = 'clip_0'")
        db.execute("update videos set vehicle = 'bus7' where video_key = 'clip_1'")
        db.execute("update violations set vehicle = 'bus12' where violation_id = 'clip_0_t0001'")
    return tmp_path


@pytest.mark.parametrize(("option", "message"), [
    (["--date", "21.11.2026"], "error: --date '21.11.2026': expected a date written YYYY-MM-DD, such as 2026-11-21"),
    (["--date", "20261121"], "error: --date '20261121': expected a date written YYYY-MM-DD, such as 2026-11-21"),
    (["--date", "2026-02-30"], "error: --date '2026-02-30': not a date (day is out of range for month)"),
    (["--vehicle", "nosuchbus"], "error: --vehicle 'nosuchbus': no such vehicle in {out}'s results (known: bus12, "
                                 "bus7)"),
])
def test_report_refuses_a_date_or_vehicle_that_selects_nothing_by_mistake(night, option, message):
    before = (night / "report.html").read_bytes()
    result = CliRunner().invoke(app, ["report", str(night), *option])
    assert result.exit_code == 2 and result.stderr.strip() == message.format(out=night), result.output
    assert (night / "report.html").read_bytes() == before and not list(night.glob("report-*.html"))


def test_report_of_a_known_vehicle_and_a_real_date(night):
    result = CliRunner().invoke(app, ["report", str(night), "--vehicle", "bus12", "--date", "2026-11-21"])
    assert result.exit_code == 0 and result.stdout.startswith("1 violation(s). Report:"), result.output
    result = CliRunner().invoke(app, ["report", str(night), "--vehicle", "bus7"])  # known, no violation: fine
    assert result.exit_code == 0 and result.stdout.startswith("0 violation(s). Report:"), result.output


# ---- 9. review's default reviewer ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("login", "proposed"), [("kim", "kim"), ("root", ""), (KeyError("uid 1234"), "")])
def test_review_proposes_no_reviewer_for_root_and_the_page_asks(tmp_path, monkeypatch, login, proposed):
    import getpass

    import helmetscan.review.app as review_app

    def getuser():
        if isinstance(login, Exception):
            raise login
        return login

    served = {}
    monkeypatch.setattr(getpass, "getuser", getuser)
    monkeypatch.setattr(review_app, "serve", lambda out, host, port, name, on_ready=None, lang="en":
                        served.update(name=name))
    result = CliRunner().invoke(app, ["review", str(tmp_path)])
    assert result.exit_code == 0 and served == {"name": proposed}, result.output
    result = CliRunner().invoke(app, ["review", str(tmp_path), "--reviewer", "lee"])
    assert served == {"name": "lee"}


def test_the_review_page_asks_for_a_name_when_none_is_proposed(tmp_path):
    from fastapi.testclient import TestClient

    from helmetscan.review.app import create_app

    ids = results_folder(tmp_path)
    with TestClient(create_app(tmp_path, reviewer=""), base_url="http://127.0.0.1:8765") as client:
        page = client.get("/").text
        refused = client.post(f"/api/violations/{ids[0]}/review", json={"status": "confirmed", "reviewer": ""},
                              headers={"Origin": "http://127.0.0.1:8765"})
    assert '<input id="reviewer" value="" ' in page and " required " in page
    assert "enter your name as reviewer first" in page
    assert refused.status_code in (400, 422)
