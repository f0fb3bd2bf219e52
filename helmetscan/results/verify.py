"""Verify an output folder: every evidence file, and the source videos where they still are, against the SHA-256
recorded when they were written.

The expected hashes come from the results database (``OUT/helmetscan.db``, written by ``analyze`` as each video's
results arrive, and touched by nothing else), or — for a folder without one — from the
``video.json`` files, which are then themselves checked against ``SHA256SUMS``. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helmetscan.core.errors import ResultsError
from helmetscan.core.messages import NOT_RESULTS_NO_RECORDS
from helmetscan.weights.registry import sha256_file


@dataclass
class VerifyReport:
    """What :func:`verify_output` found.

    ``checked``: files whose hash was compared; ``changed`` / ``missing``: evidence paths relative to OUT;
    ``sources_checked`` / ``sources_changed``: source videos hashed and those that differ; ``sources_missing``:
    source videos no longer at their recorded path (not a failure: footage is often deleted after analysis);
    ``unlisted``: files inside a violation folder that no record lists (not a failure, but said).
    """

    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    sources_checked: int = 0
    sources_changed: list[str] = field(default_factory=list)
    sources_missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every listed file is there and unchanged, and every source video found is unchanged."""
        return not (self.changed or self.missing or self.sources_changed)


def _compare(expected, path_of) -> tuple[int, list[str], list[str]]:
    """``(checked, changed, missing)`` for ``expected`` ``(name, sha256)`` pairs, each file found at ``path_of(name)``
    and re-hashed."""
    checked, changed, missing = 0, [], []
    for name, digest in sorted(expected):
        path = path_of(name)
        if not path.is_file():
            missing.append(name)
            continue
        checked += 1
        if sha256_file(path) != digest:
            changed.append(name)
    return checked, changed, missing


def expected_hashes(out: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """``({evidence path relative to OUT: sha256}, [(source path, sha256)])`` as recorded for ``out`` (a source path
    for every copy of a video's content its record lists).

    Raises:
        ResultsError: ``out`` is not a results folder, or a stored record is unreadable.
    """
    from helmetscan.results.database import DB_NAME, ResultsDB
    from helmetscan.results.evidence import SHA256SUMS, VIDEO_JSON, load_results

    if (out / DB_NAME).is_file():
        db = ResultsDB(out, create=False)
        try:
            videos, records = db.load()
        finally:
            db.close()
        files: dict[str, str] = {}
    elif out.is_dir() and any(out.glob(f"*/{VIDEO_JSON}")):
        videos, records = load_results(out)
        sums = out / SHA256SUMS
        files = {}
        if sums.is_file():  # without a database, the video.json files are vouched for by SHA256SUMS only
            for line in sums.read_text(encoding="utf-8").splitlines():
                digest, _, rel = line.partition("  ")
                if rel.endswith(f"/{VIDEO_JSON}"):
                    files[rel] = digest
    else:
        raise ResultsError(NOT_RESULTS_NO_RECORDS % {"path": out, "database": DB_NAME, "record": VIDEO_JSON})
    for video in videos:
        files.update(video.evidence_sha256)
    for record in records:
        for name, digest in record.evidence_files.items():
            files.setdefault(f"{record.evidence_dir}/{name}", digest)
    sources = [(path, v.info.sha256) for v in videos if v.info is not None and v.info.sha256
               for path in dict.fromkeys([v.source_path, *(c.path for c in v.copies)])]  # every copy of its content
    return files, sources


def verify_output(out: Path, sources: bool = True) -> VerifyReport:
    """Re-hash every evidence file of ``out`` (and, with ``sources``, every source video still at its recorded path)
    against the recorded SHA-256.

    Raises:
        ResultsError: ``out`` is not a results folder, or a stored record is unreadable.
    """
    from helmetscan.results.evidence import RECORD_JSON

    files, videos = expected_hashes(out)
    report = VerifyReport()
    report.checked, report.changed, report.missing = _compare(files.items(), lambda rel: out / rel)
    listed = set(files)
    for record_path in sorted(out.glob(f"*/*/{RECORD_JSON}")):
        for path in sorted(record_path.parent.iterdir()):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in listed and not path.name.startswith("."):
                report.unlisted.append(rel)
    if sources:
        report.sources_checked, report.sources_changed, report.sources_missing = _compare(set(videos), Path)
    return report
