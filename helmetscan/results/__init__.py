"""What a run leaves behind: typed, versioned ``records``, ``assemble`` (records from the analyzer's findings),
``evidence_stage`` (a video's findings to blurred copies, excerpts, evidence folders and records), the ``evidence``
folders and SHA256SUMS, ``excerpt`` (clips cut from the original), ``privacy`` (bystanders' faces and plates blurred),
``drawing`` on copies of frames, the ``database`` (SQLite), analysts' ``reviews``, the ``report`` (CSV, HTML, sheets)
with its ``timeline``, ``verify`` (evidence files against their recorded SHA-256) and ``rebuild`` (the database rebuilt
from the records)."""
