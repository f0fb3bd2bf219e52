"""The bottom layer: what every other package speaks in, importing nothing else of helmetscan.

``errors`` (the expected faults), ``geometry`` (xyxy boxes in pixels), ``detections`` (``Detection``, ``TextRead`` and
the one-method ``Detector`` / ``TextRecognizer`` Protocols), ``status`` (the head and plate status vocabularies the
records persist), ``plate_formats`` (plate text normalisation and the accepted plate formats), ``fielddoc`` (documented
pydantic fields: the settings and record tables).
"""
