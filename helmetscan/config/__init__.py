"""Settings: one validated model, a section per pipeline stage.

Precedence: command-line option > TOML config file > the defaults (which live only in this package). The resolved
settings are written to ``OUT/settings.json`` and into every evidence record, so a result can always be traced to its
knobs. The sections live by area: :mod:`~helmetscan.config.stages` (sampling, detectors, rider rule, tracking, helmet
check, decision), :mod:`~helmetscan.config.plates` (plate detection, reading, fusion, floors, formats) and
:mod:`~helmetscan.config.output` (evidence, recording, runtime, export, report); :mod:`~helmetscan.config.base` holds what they share.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from helmetscan.config.base import _Section, setting
from helmetscan.config.output import (EvidenceSettings, ExportSettings, RecordingSettings, ReportSettings,
                                      RuntimeSettings)
from helmetscan.config.plates import (DEFAULT_PLATE_FLOORS, DEFAULT_TRACK_FLOORS, DEFAULT_UNREPORTED_FORMATS,
                                      PlateRoles, PlateSettings)
from helmetscan.config.stages import (AssistSettings, DecisionSettings, DetectorRoles, DetectorSettings, RiderRule,
                                      SamplingSettings, TrackingSettings, HelmetCheckSettings, HeadRoles)
from helmetscan.core.errors import ConfigError
from helmetscan.weights.registry import default_weights_dir

__all__ = [
    "AssistSettings", "DEFAULT_PLATE_FLOORS", "DEFAULT_TRACK_FLOORS", "DEFAULT_UNREPORTED_FORMATS", "DecisionSettings",
    "DetectorRoles", "DetectorSettings", "EvidenceSettings", "PlateRoles", "PlateSettings", "RecordingSettings",
    "ReportSettings", "RiderRule", "RuntimeSettings", "SamplingSettings", "Settings", "TrackingSettings", "HelmetCheckSettings",
    "HeadRoles", "load_settings",
]

#: Torch device strings: ``cpu``, ``mps``, ``cuda``, ``cuda:N``, or ultralytics' GPU index form ``N`` / ``N,M``.
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?|\d+(,\d+)*)$")


class Settings(_Section):
    """All knobs of one run. ``Settings()`` gives the defaults."""

    weights_dir: Path = setting(
        default_weights_dir, "Folder holding the weight files (default: $HELMETSCAN_WEIGHTS, else the per-user cache "
        "~/.cache/helmetscan/weights that `helmetscan fetch-weights` fills).", "folder",
        shown_default="$HELMETSCAN_WEIGHTS or ~/.cache/helmetscan/weights",
    )
    device: str = setting("cpu", "Torch device for the models: cpu, cuda, cuda:N, mps.", "device")
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    assist: AssistSettings = Field(default_factory=AssistSettings)
    riders: RiderRule = Field(default_factory=RiderRule)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    verification: HelmetCheckSettings = Field(default_factory=HelmetCheckSettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    plates: PlateSettings = Field(default_factory=PlateSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError(f"{value!r} is not a torch device (expected cpu, cuda, cuda:N or mps)")
        return value

    def model_path(self, name: str) -> Path:
        """Resolve a weight file setting: an absolute path, or a path that exists from the current folder, is used as
        is; anything else is looked up in ``weights_dir``."""
        path = Path(name)
        return path if path.is_absolute() or path.exists() else self.weights_dir / path


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


#: Settings of earlier versions that are gone, and why (a file that still sets one gets this instead of "extra
#: inputs are not permitted"); the measurements behind each removal are in weights/PLATE_READER.md.
REMOVED = {
    ("plates", "fusion"): "a track's reads are fused by the per-character vote only",
    ("plates", "reader_confidence"): "our reader's confidence is the probability of the text only",
}


def load_settings(config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings of a run.

    Args:
        config_file: optional TOML file with sections named like the fields of :class:`Settings`.
        overrides: nested dict of command-line values (``{"sampling": {"fps": 2.0}}``); ``None`` values are ignored.

    Raises:
        ConfigError: the file is missing or not TOML, or a value fails validation (message names the key).
    """
    data: dict[str, Any] = {}
    if config_file is not None:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{config_file}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML ({exc})") from None
    data = _merge(data, _drop_none(overrides or {}))
    source = f"{config_file}: " if config_file else ""
    for (section, key), why in REMOVED.items():
        if key in (data.get(section) or {}):
            raise ConfigError(f"{source}{section}.{key} is no longer a setting: {why}; delete the line")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors(include_url=False))
        raise ConfigError(f"{source}invalid settings ({problems})") from None


def _problem(err: dict[str, Any]) -> str:
    """One validation error as ``key: what is wrong``; an unknown key gets the nearest setting of its section (or the
    nearest section, at the top level) as "did you mean"."""
    key = ".".join(str(p) for p in err["loc"])
    if err["type"] != "extra_forbidden":
        return f"{key}: {err['msg']}"
    model: Any = Settings
    for part in err["loc"][:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        model = field.annotation if field is not None else None
        if not (isinstance(model, type) and issubclass(model, _Section)):
            return f"{key}: not a setting"
    names = list(model.model_fields)
    near = difflib.get_close_matches(str(err["loc"][-1]), names, n=1, cutoff=0.6)
    parent = ".".join(str(p) for p in err["loc"][:-1])
    if near:
        return f"{key}: not a setting (did you mean {'.'.join(filter(None, (parent, near[0])))}?)"
    return f"{key}: not a setting ({f'[{parent}] has' if parent else 'the top level has'}: {', '.join(names)})"


def _drop_none(tree: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            value = _drop_none(value)
            if value:
                out[key] = value
        elif value is not None:
            out[key] = value
    return out
