"""helmetscan: finds motorcycle riders without a helmet in recorded dashcam footage and files evidence.

The packages are layers, each importing only from those before it (``tests/test_layout.py``): ``core`` (boxes,
detections, status vocabularies, plate formats, errors) → ``weights`` (where weight files are, install-time fetch) →
``config`` (the settings) → ``inference`` (model adapters) → ``plates`` (region, crop, read, fuse) → ``pipeline`` (one
video, stage by stage) → ``results`` (records, evidence, database, reports) → ``runner`` (the nightly batch) →
``review`` (the review page) → ``tooling`` (datasets, training, evaluation) → ``cli`` (the command line).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("helmetscan")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
