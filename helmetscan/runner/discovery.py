"""Which files a batch analyses, and the folder name each one's results get."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from helmetscan.core.errors import VideoError
from helmetscan.pipeline.sampling import VIDEO_EXTENSIONS


def find_videos(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Expand files and folders (recursively) into a sorted, de-duplicated list of video files.

    Files named explicitly are always returned (a non-video is reported when it fails to open); inside folders, only
    files with a video extension are taken, the rest are returned as ``ignored``.

    Returns:
        (videos, ignored) — both lists of paths.

    Raises:
        VideoError: a named path does not exist.
    """
    videos: list[Path] = []
    ignored: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                (videos if child.suffix.lower() in VIDEO_EXTENSIONS else ignored).append(child)
        elif path.is_file():
            videos.append(path)
        else:
            raise VideoError(f"{path}: no such file or folder")
    seen: set[Path] = set()
    unique = [v for v in videos if not (v.resolve() in seen or seen.add(v.resolve()))]
    return unique, ignored


def video_key(path: Path, sha256: str) -> str:
    """Folder name of a video's results: its stem with unsafe characters replaced, then the first 10 hex digits of its
    SHA-256 (``FILE0001-3fa2b9c01d``): readable, and distinct for two cards that both hold ``FILE0001.MP4``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._") or "video"
    return f"{stem}-{sha256[:10]}"


@dataclass
class Discovery:
    """The inputs of a batch: ``videos`` to analyse, the input folder each was found under (``roots``; absent for files
    named directly), ``ignored`` non-video files found in folders, and one-line ``errors`` for missing inputs."""

    videos: list[Path] = field(default_factory=list)
    roots: dict[Path, Path] = field(default_factory=dict)
    ignored: dict[Path, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def discover(paths: list[Path]) -> Discovery:
    """Expand files and folders into the videos of a batch; a missing input is an error line, not an exception."""
    found = Discovery()
    for p in paths:
        try:
            videos, ignored = find_videos([p])
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
    return found
