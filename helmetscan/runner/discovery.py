"""Which files a batch analyses, and the folder name each one's results get."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from helmetscan.core.errors import VideoError
from helmetscan.core.messages import NO_SUCH_INPUT, OTHER_OUTPUT, THIS_OUTPUT
from helmetscan.pipeline.sampling import VIDEO_EXTENSIONS
from helmetscan.results.database import DB_NAME, holds_records


def output_marker(folder: Path) -> str | None:
    """What makes ``folder`` an output folder helmetscan wrote, or ``None``: its results database, or (folders of
    helmetscan 0.1, before the database) its ``SHA256SUMS`` beside ``*/video.json`` records. Everything below such a
    folder is evidence (clip excerpts included), never footage; a lone ``SHA256SUMS`` (a card copied with its
    checksums) is not one."""
    if (folder / DB_NAME).is_file():
        return DB_NAME
    if (folder / "SHA256SUMS").is_file() and holds_records(folder):
        return "SHA256SUMS and video.json records"
    return None


def _output_root(path: Path) -> Path | None:
    """The helmetscan output folder ``path`` lies in (itself or an ancestor), or ``None``."""
    return next((folder for folder in [path, *path.parents] if output_marker(folder)), None)


def _inside(path: Path, folders: list[Path]) -> Path | None:
    resolved = path.resolve()
    return next((f for f in folders if resolved == f or f in resolved.parents), None)


def find_videos(paths: list[Path], exclude: list[Path] | tuple[Path, ...] = ()
                ) -> tuple[list[Path], list[Path], dict[Path, str]]:
    """Expand files and folders (recursively) into a sorted, de-duplicated list of video files.

    Files named explicitly are always returned (a non-video is reported when it fails to open); inside folders, only
    files with a video extension are taken, the rest are returned as ``ignored``. Nothing helmetscan wrote is ever
    taken: the folders in ``exclude`` (the run's OUT) and every output folder of an earlier run
    (:func:`output_marker`, wherever it lies) are left out whole, with the reason.

    Returns:
        (videos, ignored, left_out): lists of paths, and folder or file → why it was left out.

    Raises:
        VideoError: a named path does not exist.
    """
    excluded = [Path(e).resolve() for e in exclude]
    videos: list[Path] = []
    ignored: list[Path] = []
    left_out: dict[Path, str] = {}

    def leave_out(path: Path) -> bool:
        if (inside := _inside(path, excluded)) is not None:
            left_out.setdefault(path if inside == path.resolve() else inside, THIS_OUTPUT)
            return True
        if (root := _output_root(path)) is not None:
            left_out.setdefault(root, OTHER_OUTPUT % {"marker": output_marker(root)})
            return True
        return False

    for path in paths:
        if path.is_dir():
            if leave_out(path):
                continue
            for folder, subfolders, files in os.walk(path):
                here = Path(folder)
                kept = []
                for name in sorted(subfolders):
                    sub = here / name
                    if _inside(sub, excluded) is not None or output_marker(sub):
                        leave_out(sub)
                    else:
                        kept.append(name)
                subfolders[:] = kept  # os.walk descends only into these
                for name in files:
                    child = here / name
                    (videos if child.suffix.lower() in VIDEO_EXTENSIONS else ignored).append(child)
        elif path.is_file():
            if not leave_out(path.parent):
                videos.append(path)
        else:
            raise VideoError(NO_SUCH_INPUT % {"path": path})
    videos.sort()
    ignored.sort()
    seen: set[Path] = set()
    unique = [v for v in videos if not (v.resolve() in seen or seen.add(v.resolve()))]
    return unique, ignored, left_out


def video_key(path: Path, sha256: str) -> str:
    """Folder name of a video's results: its stem with unsafe characters replaced, then the first 10 hex digits of its
    SHA-256 (``FILE0001-3fa2b9c01d``): readable, and distinct for two cards that both hold ``FILE0001.MP4``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._") or "video"
    return f"{stem}-{sha256[:10]}"


@dataclass
class Discovery:
    """The inputs of a batch: ``videos`` to analyse, the input folder each was found under (``roots``; absent for files
    named directly), ``ignored`` non-video files found in folders, ``left_out`` output folders (and files in them)
    never taken for input, with the reason, and one-line ``errors`` for missing inputs."""

    videos: list[Path] = field(default_factory=list)
    roots: dict[Path, Path] = field(default_factory=dict)
    ignored: dict[Path, int] = field(default_factory=dict)
    left_out: dict[Path, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def discover(paths: list[Path], out: Path | None = None) -> Discovery:
    """Expand files and folders into the videos of a batch, leaving out ``out`` and every output folder helmetscan
    wrote (:func:`find_videos`); a missing input is an error line, not an exception."""
    found = Discovery()
    for p in paths:
        try:
            videos, ignored, left_out = find_videos([p], [out] if out is not None else [])
        except VideoError as exc:
            found.errors.append(str(exc))
            continue
        for v in videos:
            if v not in found.videos:
                found.videos.append(v)
                if p.is_dir():
                    found.roots[v] = p
        if ignored:
            found.ignored[p] = len(ignored)
        found.left_out.update(left_out)
    return found
