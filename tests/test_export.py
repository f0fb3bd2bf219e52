"""`helmetscan export`: filing packages of reviewed violations — the unedited excerpt and lossless evidence, the sheet
as a one-page PDF, description.txt in Korean, SHA256SUMS, deterministic case numbers, the filing deadline."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile

import pytest
from typer.testing import CliRunner

from helmetscan.cli import app
from helmetscan.config.output import ExportSettings
from helmetscan.results.database import ResultsDB
from helmetscan.results.export import case_number, export, hangul_font
from helmetscan.results.reviews import ReviewStatus
from test_review import results_folder

LOCAL_TIME = "2026-11-21T15:30:12.400+09:00"
EXCERPT = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40  # stands for a clip cut from the original


def _with_excerpt(out, violation_id):
    """Give a stored violation a clip excerpt, as `analyze` writes one (file, record, database)."""
    db = ResultsDB(out, create=False, migrate=True)
    row = db.db["violations"].get(violation_id)
    record = json.loads(row["record"])
    (out / record["evidence_dir"] / "excerpt.mp4").write_bytes(EXCERPT)
    record["excerpt"] = {"file": "excerpt.mp4", "start_s": 0.0, "end_s": 20.0}
    record["evidence_files"]["excerpt.mp4"] = hashlib.sha256(EXCERPT).hexdigest()
    db.db["violations"].update(violation_id, {"record": json.dumps(record)})
    db.close()
    return out / record["evidence_dir"]


@pytest.fixture
def reviewed(tmp_path):
    """Three violations: the first confirmed with a corrected plate, the second rejected, the third pending."""
    out = tmp_path / "out"
    ids = results_folder(out, local_time=LOCAL_TIME)
    evidence = _with_excerpt(out, ids[0])
    db = ResultsDB(out, create=False, migrate=True)
    db.add_review(ids[0], ReviewStatus.CONFIRMED, "kim", "서울12가3456")
    db.add_review(ids[1], ReviewStatus.REJECTED, "lee", "", "helmet visible")
    records = {r.violation_id: r for r in db.load()[1]}
    db.close()
    return out, ids, evidence, records


def test_a_confirmed_violation_becomes_a_package_ready_to_file(reviewed, tmp_path):
    out, ids, evidence, records = reviewed
    to = tmp_path / "filing"
    result = export(out, to, version="test")
    assert [p.violation_id for p in result.packages] == [ids[0]]
    case = case_number(records[ids[0]])
    assert case.startswith("HS-20261121-novehicle-") and case == result.packages[0].case
    folder = to / case
    expected = {"excerpt.mp4", "frame.png", "annotated.jpg", "rider.png", "plate.png", "description.txt", "SHA256SUMS"}
    font = hangul_font()
    if font is not None:
        expected.add("sheet.pdf")
    assert {p.name for p in folder.iterdir()} == expected
    for name in ("excerpt.mp4", "frame.png", "rider.png", "plate.png", "annotated.jpg"):
        assert (folder / name).read_bytes() == (evidence / name).read_bytes()  # byte for byte
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == expected - {"SHA256SUMS"}
    assert all(hashlib.sha256((folder / n).read_bytes()).hexdigest() == d for n, d in sums.items())
    with zipfile.ZipFile(to / f"{case}.zip") as archive:
        assert set(archive.namelist()) == {f"{case}/{n}" for n in expected}
        assert archive.read(f"{case}/excerpt.mp4") == EXCERPT
    text = (folder / "description.txt").read_text(encoding="utf-8")
    for field in ("일시: 2026년 11월 21일 15시 30분 12초", "장소: 장소 미상", "도로교통법 제50조 제3항",
                  "차량번호: 서울12가3456 (검토자 kim 판독)", "안전모 미착용 인원: 1명", "신고 기한: 2026년 11월 28일까지",
                  "원본 영상: /sd/clip_0.mp4", hashlib.sha256(EXCERPT).hexdigest()):
        assert field in text
    assert result.packages[0].deadline.isoformat() == "2026-11-28"
    assert re.search(r"검토: 위반 확인 — kim, \d{4}년 \d{1,2}월 \d{1,2}일 \d{1,2}시 \d{1,2}분 \d{1,2}초 \(UTC", text)  # as 일시
    if font is not None:
        pdf = (folder / "sheet.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one page
    # again: nothing overwritten
    again = export(out, to, version="test")
    assert again.packages == [] and any("not overwritten" in note for note in again.notes)


def test_status_selects_pending_or_all_and_never_rejected(reviewed, tmp_path):
    out, ids, _, _ = reviewed
    assert [p.violation_id for p in export(out, tmp_path / "p", "pending").packages] == [ids[2]]
    assert sorted(p.violation_id for p in export(out, tmp_path / "a", "all").packages) == sorted([ids[0], ids[2]])
    pending = next((tmp_path / "p").glob("HS-*/description.txt")).read_text(encoding="utf-8")
    assert "차량번호: 서울12가3456 (자동 판독)" in pending and "발췌 영상 없음" in pending


def test_an_excerpt_over_the_filing_limits_is_exported_unedited_with_a_note(reviewed, tmp_path):
    out, ids, _, _ = reviewed
    result = export(out, tmp_path / "f", settings=ExportSettings(max_excerpt_mb=0.001, max_excerpt_s=10))
    assert any("over the filing limit" in line for line in result.notes)
    folder = result.packages[0].folder
    assert (folder / "excerpt.mp4").read_bytes() == EXCERPT
    assert "제한을 넘음" in (folder / "description.txt").read_text(encoding="utf-8")


def test_changed_evidence_is_not_exported(reviewed, tmp_path):
    out, ids, evidence, _ = reviewed
    (evidence / "frame.png").write_bytes(b"edited")
    result = export(out, tmp_path / "f")
    assert result.packages == [] and any("changed since it was written" in note for note in result.notes)


def test_the_command_prints_the_case_numbers_and_fails_on_a_folder_without_results(reviewed, tmp_path):
    out, ids, _, records = reviewed
    answer = CliRunner().invoke(app, ["export", str(out), "--to", str(tmp_path / "f"), "--date", "2026-11-21"])
    assert answer.exit_code == 0, answer.output
    assert case_number(records[ids[0]]) in answer.stdout and "filing deadline 2026-11-28" in answer.stdout
    assert "1 package(s) exported" in answer.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    answer = CliRunner().invoke(app, ["export", str(empty), "--to", str(tmp_path / "g")])
    assert answer.exit_code == 1 and "not a results folder" in answer.stderr
    answer = CliRunner().invoke(app, ["export", str(out), "--to", str(tmp_path / "g"), "--status", "rejected"])
    assert answer.exit_code == 2


def test_the_report_and_sheet_show_the_filing_deadline(reviewed):
    out, ids, _, _ = reviewed
    assert "filing deadline: 2026-11-28" in (out / "report.html").read_text(encoding="utf-8")
    assert "2026-11-28" in (out / "sheets" / f"{ids[0]}.html").read_text(encoding="utf-8")
