"""helmetscan: finds motorcycle riders without a helmet in recorded dashcam footage and files evidence.

The pipeline, one module per stage: ``video`` (frame sampling) → ``detection`` (stage 1) → ``riders`` (rider rule)
→ ``tracking`` (ByteTrack) → ``verification`` (stage 2 on the rider crop) → ``decision`` (per-track verdict)
→ ``plates`` (plate crop, upscale, OCR, fusion) → ``evidence`` → ``report``. ``pipeline`` composes them; ``cli``
parses arguments and renders progress.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("helmetscan")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
