"""Model adapters: a weight file behind the ``Detector`` Protocol (``yolo`` for ultralytics, ``onnx_yolo`` for ONNX
Runtime with the threads we set, sessions from ``onnx_session``; ``ensemble``: two stage-1 models as one) and our
``head_classifier`` (helmet / no helmet on a head crop)."""
