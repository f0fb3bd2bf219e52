"""Everything about licence plates after stage 1: ``region`` (where a rider's plate is searched, the box kept, its
quality), ``crop`` (tighten and upscale a plate crop), ``read`` (a recogniser on a crop, its read corrected to a
plate format), the recognisers (``recognizer``: our ONNX reader with its ``ctc_beam`` search; ``easyocr_reader``,
``tesseract_reader``), ``fuse`` (a track's reads into one plate), ``stage`` (the plate stage of a track) and ``photo``
(plates in still images). Formats and normalisation are in :mod:`helmetscan.core.plate_formats`."""
