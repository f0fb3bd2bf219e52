"""A damaged or lost results database: every command says so in one line naming `helmetscan rebuild-db`, and
`rebuild-db` rebuilds it from the records without losing a review decision that can be recovered. Real output
folders, made by the batch runner with fake models on generated clips."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helmetscan.cli import app
from helmetscan.core.errors import ResultsError
from helmetscan.results import database
from helmetscan.results.database import DB_NAME, ResultsDB
from helmetscan.results.rebuild import FROM_CSV, SUPERSEDED, _reviews_from_csv, rebuild_database
from helmetscan.results.report import rebuild
from helmetscan.results.reviews import ReviewStatus

from conftest import write_video
from test_pipeline import runner

PLATE = "서울12가3456"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """An output folder of two analysed clips (one violation each) whose analyst confirmed the first with a corrected
    plate (after a first, different decision) and rejected the second; and the clips."""
    base = tmp_path_factory.mktemp("night")
    clips = [write_video(base / f"clip{i}.avi", n_frames=30 + i, fps=10, size=(320, 240), fourcc="MJPG")
             for i in range(2)]
    out = base / "out"
    runner().run(clips, out)
    db = ResultsDB(out, create=False, migrate=True)
    first, second = sorted(r.violation_id for r in db.load()[1])
    db.add_review(first, ReviewStatus.REJECTED, "kim", "", "looked like a helmet")
    db.add_review(first, ReviewStatus.CONFIRMED, "park", PLATE, "bare head in the excerpt")
    db.add_review(second, ReviewStatus.REJECTED, "=lee")  # the CSV guards it as '=lee
    db.close()
    rebuild(out, "test")  # as the review page does after each decision
    return out, clips


@pytest.fixture
def out(analysed, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(analysed[0], copy)
    return copy


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def csv_rows(out: Path) -> list[dict]:
    with (out / "violations.csv").open(newline="", encoding="utf-8-sig") as f:  # it starts with a BOM
        return list(csv.DictReader(f))


def histories(out: Path):
    db = ResultsDB(out, create=False)
    try:
        return db.review_histories()
    finally:
        db.close()


def page_of(out: Path, table: str) -> tuple[int, int]:
    """(root page number, page size) of a table of the database."""
    conn = sqlite3.connect(out / DB_NAME)
    root = conn.execute("select rootpage from sqlite_master where name = ?", [table]).fetchone()[0]
    size = conn.execute("pragma page_size").fetchone()[0]
    conn.close()
    return root, size


def overwrite_page(path: Path, page: int, size: int) -> None:
    with path.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)


def damage_middle(path: Path) -> None:
    """Overwrite the page in the middle of the file."""
    size = sqlite3.connect(path).execute("pragma page_size").fetchone()[0]
    overwrite_page(path, path.stat().st_size // size // 2 + 1, size)


DAMAGE = {
    "middle": damage_middle,
    "truncated": lambda path: os.truncate(path, path.stat().st_size // 2),
    "garbage": lambda path: path.write_bytes(b"not a database " * 300),
    "emptied": lambda path: path.write_bytes(b""),
}


def one_error_line(result, *needles: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.output and all(n in lines[0] for n in needles), result.stderr
    return lines[0]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_database_stops_every_command_with_one_line_naming_the_rebuild(out, analysed, damage):
    DAMAGE[damage](out / DB_NAME)
    before = (out / DB_NAME).read_bytes()
    for command in ("report", "verify", "review"):
        line = one_error_line(cli(command, out), "damaged", "rebuild it from the records with: helmetscan rebuild-db")
        assert line.endswith(f"rebuild-db {out.resolve() if command == 'review' else out}")
    result = cli("analyze", analysed[1][0], "--out", out)
    one_error_line(result, "damaged", f"helmetscan rebuild-db {out}")
    with pytest.raises(ResultsError, match="damaged .*rebuild-db"):
        runner().run(analysed[1], out)
    assert (out / DB_NAME).read_bytes() == before  # none of them wrote to it


def test_a_page_found_damaged_after_opening_is_the_same_one_line(out, monkeypatch):
    root, size = page_of(out, "violations")
    overwrite_page(out / DB_NAME, root, size)
    monkeypatch.setattr(database, "damage_of", lambda conn, pragma="quick_check": None)  # as if the check had passed
    db = ResultsDB(out, create=False)
    with pytest.raises(ResultsError, match=r"helmetscan.db: damaged \(database disk image is malformed\); rebuild"):
        db.load()
    db.close()


def test_rebuild_restores_the_rows_and_the_whole_review_history_from_a_readable_reviews_table(out):
    rows, history = csv_rows(out), histories(out)
    root, size = page_of(out, "violations")
    overwrite_page(out / DB_NAME, root, size)
    damaged = (out / DB_NAME).read_bytes()

    result = cli("rebuild-db", out)
    assert result.exit_code == 0, result.output
    assert "2 video(s), 2 violation(s), 3 review decision(s) (3 from the old database)" in result.stdout
    assert csv_rows(out) == rows  # review columns included: confirmed by park with the corrected plate
    assert histories(out) == history  # every decision, with its reviewer, time and note
    confirmed = next(r for r in rows if r["review_status"] == "confirmed")
    assert (confirmed["plate_text_reviewed"], confirmed["reviewed_by"]) == (PLATE, "park")
    aside = list((out / SUPERSEDED).glob(f"{DB_NAME}-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # moved, not deleted, not written to
    assert not (out / ".partial").exists()
    verified = cli("verify", out)
    assert verified.exit_code == 0 and verified.stdout.startswith("OK:"), verified.output
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_rebuild_takes_the_latest_decisions_from_violations_csv_when_the_reviews_table_is_lost(out):
    rows = csv_rows(out)
    root, size = page_of(out, "reviews")
    overwrite_page(out / DB_NAME, root, size)

    report = rebuild_database(out, "test")
    assert report.rebuilt and report.reviews_from == {FROM_CSV: 2} and report.reviews == 2
    assert csv_rows(out) == rows
    latest = {vid: h[-1] for vid, h in histories(out).items()}
    confirmed = next(r for r in latest.values() if r.status is ReviewStatus.CONFIRMED)
    assert (confirmed.plate_text_reviewed, confirmed.reviewer) == (PLATE, "park")
    exported = next(r["reviewed_at"] for r in rows if r["review_status"] == "confirmed")  # in the recording's zone
    assert exported.endswith("+09:00") and confirmed.reviewed_at.endswith("+00:00")
    assert datetime.fromisoformat(confirmed.reviewed_at) == datetime.fromisoformat(exported)  # the same instant
    assert {r.reviewer for r in latest.values()} == {"park", "=lee"}  # the CSV's formula guard is taken off
    assert cli("verify", out).exit_code == 0


def test_a_garbage_database_is_rebuilt_with_the_reviews_of_the_csv(out):
    rows = csv_rows(out)
    DAMAGE["garbage"](out / DB_NAME)
    result = cli("rebuild-db", out)
    assert result.exit_code == 0, result.output
    assert "(2 from violations.csv)" in result.stdout and "damaged (file is not a database)" in result.stderr
    assert csv_rows(out) == rows and cli("verify", out).exit_code == 0


def test_a_deleted_database_is_rebuilt_and_a_re_run_analyses_nothing(out, analysed):
    rows = csv_rows(out)
    (out / DB_NAME).unlink()
    one_error_line(cli("review", out), f"no {DB_NAME}: rebuild it from the records with: helmetscan rebuild-db")
    assert cli("verify", out).exit_code == 0  # from the JSON files, as before

    report = rebuild_database(out, "test")
    assert report.old_database is None and report.reason == f"no {DB_NAME}" and report.videos == 2
    assert report.reviews_from == {FROM_CSV: 2} and report.analyse_again == 0
    assert csv_rows(out) == rows and not (out / SUPERSEDED).exists()
    again = runner().run(analysed[1], out)  # the records carry their configuration hash and the files their mtime
    assert again.videos == [] and len(again.skipped) == 2


def test_a_healthy_database_is_left_alone_unless_forced(out):
    rows, history = csv_rows(out), histories(out)
    path = out / DB_NAME
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    result = cli("rebuild-db", out)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{path} is readable; nothing to rebuild (--force rebuilds it anyway)"
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime and not (out / SUPERSEDED).exists()

    forced = cli("rebuild-db", out, "--force")
    assert forced.exit_code == 0 and "3 from the old database" in forced.stdout
    assert [p.read_bytes() for p in (out / SUPERSEDED).glob(f"{DB_NAME}-*")] == [before]
    assert csv_rows(out) == rows and histories(out) == history


def test_rebuild_refuses_a_folder_without_results(tmp_path):
    result = cli("rebuild-db", tmp_path)
    one_error_line(result, "not a results folder")
    assert list(tmp_path.iterdir()) == []


def test_decisions_read_back_from_a_csv_with_notes_and_formula_guards(tmp_path):
    path = tmp_path / "violations.csv"
    path.write_text("violation_id,review_status,plate_text_reviewed,reviewed_by,reviewed_at,review_note\n"
                    "a_t0001,confirmed,'=12가3456,'-kim,2026-11-21T01:02:03+00:00,'+plate read on the sheet\n"
                    "b_t0002,pending,,,,\n"
                    "c_t0003,rejected,,'o'neil,2026-11-21T10:02:04+09:00,\n", encoding="utf-8")
    first, second = _reviews_from_csv(path)
    assert (first.plate_text_reviewed, first.reviewer, first.note) == ("=12가3456", "-kim", "+plate read on the sheet")
    assert (second.violation_id, second.status, second.reviewer) == ("c_t0003", ReviewStatus.REJECTED, "'o'neil")
    # the report writes review times in the recording's zone: back in UTC, as the database keeps them
    assert (first.reviewed_at, second.reviewed_at) == ("2026-11-21T01:02:03+00:00", "2026-11-21T01:02:04+00:00")
    # as the report writes it: with a byte-order mark, which must not end up in the first column's name
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-8-sig"))
    assert [r.violation_id for r in _reviews_from_csv(path)] == ["a_t0001", "c_t0003"]
