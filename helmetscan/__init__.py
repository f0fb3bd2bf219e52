"""helmetscan: finds motorcycle riders without a helmet in recorded dashcam footage and files evidence.

The folders read like the data flow: ``pipeline`` (one video, stage by stage: sampling → stage 1 → riders → tracking →
stage 2 → decision → plates), ``models`` (the Protocols the stages call, their YOLO/EasyOCR adapters, the weight
registry), ``results`` (typed records, evidence, reports), ``runner`` (the batch over many videos); ``cli`` parses
arguments and renders progress. ``modelling`` (datasets, training, evaluation) is tooling the runtime never imports.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("helmetscan")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
