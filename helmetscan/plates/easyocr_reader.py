"""The EasyOCR adapter: EasyOCR's recogniser as a :class:`~helmetscan.core.detections.TextRecognizer` on plate crops that
are already located (no CRAFT text detection: it costs 230–710 ms per upscaled crop on a 2-core CPU, recognition
alone 35–55 ms)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.core.detections import TextRead
from helmetscan.plates.read import read_rows


class EasyOcrRecognizer:
    """EasyOCR in recognition-only mode; two-row plates are read row by row.

    Args:
        model_dir: folder holding EasyOCR's ``.pth`` files (``<weights>/easyocr``); nothing is downloaded.
        languages: EasyOCR language codes.
        allowlist: characters the recogniser may output.
        two_row_max_aspect: crops narrower than this width/height ratio are read as two rows (top half, bottom half).
        gpu: run on CUDA.

    Raises:
        WeightsError: a model file for one of ``languages`` is not in ``model_dir``.
    """

    def __init__(self, model_dir: Path, languages: list[str], allowlist: str, two_row_max_aspect: float,
                 gpu: bool = False):
        import warnings

        import easyocr

        self.allowlist = allowlist
        self.two_row_max_aspect = two_row_max_aspect
        try:
            with warnings.catch_warnings():  # torch deprecation noise from EasyOCR's quantised LSTM
                warnings.simplefilter("ignore")
                self._reader = easyocr.Reader(
                    languages, gpu=gpu, model_storage_directory=str(model_dir), download_enabled=False,
                    detector=False, verbose=False,
                )
        except FileNotFoundError as exc:
            raise WeightsError(
                f"{model_dir}: EasyOCR model for {languages} missing ({exc}); fetch it with `helmetscan fetch-weights`"
            ) from None

    def _recognise(self, image: np.ndarray) -> TextRead:
        import warnings

        with warnings.catch_warnings():  # "pin_memory ... no accelerator" from EasyOCR's DataLoader on CPU
            warnings.simplefilter("ignore")
            results = self._reader.recognize(image, allowlist=self.allowlist, detail=1)
        if not results:
            return TextRead("", 0.0)
        return TextRead("".join(r[1] for r in results), float(min(r[2] for r in results)))

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read ``image`` ((H, W, 3) uint8 BGR, an upscaled plate crop): raw text and the lowest piece confidence."""
        return read_rows(image, self._recognise, self.two_row_max_aspect)
