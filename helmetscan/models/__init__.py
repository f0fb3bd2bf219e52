"""Models behind one-method Protocols (``base``), their adapters (``yolo``, ``easyocr_recognizer``), the weight
registry (``registry``: where weights are, their pinned SHA-256) and ``loader`` (builds a run's models and checks them
before the first video)."""
