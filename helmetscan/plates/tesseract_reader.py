"""The Tesseract adapter: Tesseract 5 (Debian ``tesseract-ocr`` with ``tesseract-ocr-kor``) as a
:class:`~helmetscan.core.detections.TextRecognizer`, called through pytesseract. Kept as a baseline to compare our reader
with; it reads Hangul, EasyOCR's English model does not.
"""

from __future__ import annotations

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.core.detections import TextRead
from helmetscan.plates.read import read_rows

#: Page segmentation mode 7: "treat the image as a single text line" (Tesseract manual, ``--psm``); a two-row plate is
#: read row by row.
SINGLE_LINE = "--psm 7"


class TesseractRecognizer:
    """Tesseract on a located plate crop; two-row plates are read row by row.

    Args:
        languages: Tesseract language packs joined by ``+`` (``kor+eng``).
        two_row_max_aspect: crops narrower than this width/height ratio are read as two rows (top half, bottom half).

    Raises:
        WeightsError: the ``tesseract`` program or one of the language packs is not installed.
    """

    def __init__(self, languages: str = "kor+eng", two_row_max_aspect: float = 2.2):
        import pytesseract

        self._tesseract = pytesseract
        try:
            installed = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError):
            raise WeightsError("tesseract is not installed (Debian: apt install tesseract-ocr tesseract-ocr-kor)") from None
        missing = [lang for lang in languages.split("+") if lang not in installed]
        if missing:
            raise WeightsError(f"tesseract language pack(s) {missing} not installed "
                               f"(Debian: apt install {' '.join('tesseract-ocr-' + m for m in missing)})")
        self.languages = languages
        self.two_row_max_aspect = two_row_max_aspect

    def _recognise(self, image: np.ndarray) -> TextRead:
        data = self._tesseract.image_to_data(image[:, :, ::-1], lang=self.languages, config=SINGLE_LINE,
                                             output_type=self._tesseract.Output.DICT)
        words = [(t, float(c)) for t, c in zip(data["text"], data["conf"]) if t.strip() and float(c) >= 0]
        if not words:
            return TextRead("", 0.0)
        return TextRead("".join(t for t, _ in words), min(c for _, c in words) / 100.0)

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read ``image`` ((H, W, 3) uint8 BGR, an upscaled plate crop): raw text and the lowest word confidence."""
        return read_rows(image, self._recognise, self.two_row_max_aspect)
