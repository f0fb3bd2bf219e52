"""Our plate recogniser at run time, run with ONNX Runtime. One forward pass reads one- and two-row plates; no text
detection, no row splitting.

The network (a CRNN, Shi et al. 2015, "An End-to-End Trainable Neural Network for Image-based Sequence Recognition";
``weights/PLATE_READER.md``) sees the whole plate crop squeezed to :data:`INPUT_HEIGHT` x :data:`INPUT_WIDTH` grey
pixels and returns, for each of its output steps, a probability over ``["_"] + alphabet``, where ``_`` is the CTC
blank. The steps are the columns of the top half of the plate followed by those of the bottom half, so a two-row plate
is read top row first; a reader that reads each half as its own row puts one certain blank step between them. Each
crop is read in several views (:data:`VIEWS`) and decoded by a CTC prefix beam search held to the accepted plate
formats (:func:`beam_read`).

A line reader (``helmetscan train-line-reader``: a recogniser pretrained on real text lines, fine-tuned on plates;
``weights/PLATE_READER.md``; none ships) gives two readings of each crop: ``line`` (the crop as one text
line) and ``rows`` (its top half as a line, one certain blank step, its bottom half as a line); the more probable
read wins (choosing by the crop's shape instead read US plates, 2:1, as two rows; card). Our CRNN has one output.

The alphabet is read from the ONNX file's metadata (``alphabet``), so the runtime never disagrees with the model it
loads; a file whose metadata names another decoder than ``ctc`` is refused. Trained by
:mod:`helmetscan.tooling.plate_train`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.core.detections import TextRead

#: Input size of our reader (pixels): 64 × 256 grey, 32 output columns per row; the width is for a two-row plate's
#: top row of up to five Hangul syllables, which narrower inputs read worse (``weights/PLATE_READER.md``). At run
#: time the size is read from the ONNX file's input shape.
INPUT_HEIGHT, INPUT_WIDTH = 64, 256

#: Output class 0: the CTC blank (no character at this step).
PAD = "_"


def to_model_input(image: np.ndarray, size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> np.ndarray:
    """A plate crop ((h, w, 3) uint8 BGR, or (h, w) grey) as the network's input: ``size`` (height, width) uint8 grey,
    squeezed to the input size without keeping the aspect ratio (the networks are trained on exactly this)."""
    import cv2

    height, width = size
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    interpolation = cv2.INTER_AREA if grey.shape[1] > width else cv2.INTER_LINEAR
    return cv2.resize(grey, (width, height), interpolation=interpolation)


def decode_ctc(probabilities: np.ndarray, alphabet: str) -> TextRead:
    """Greedy CTC decoding of one plate ((steps, 1 + len(alphabet)) float, rows sum to 1; class 0 = blank).

    The most probable class of each step is kept, runs of one class collapse to one character and blanks are dropped
    (Graves et al. 2006). A character's confidence is the highest probability it reaches over its run.
    ``confidence`` is the lowest winning probability over *all* steps, blank steps included (0 when nothing was read):
    a character the network half-emits and then drops shows only as an unsure blank step, so the lowest character
    confidence alone misses deletions (measured in ``weights/PLATE_READER.md``).

    The runtime reads with :func:`beam_read`; this one-view greedy read is the model-selection measure of training
    (:mod:`helmetscan.tooling.plate_train`).
    """
    best = probabilities.argmax(axis=1)
    chars: list[str] = []
    confs: list[float] = []
    previous = 0
    for step, k in enumerate(best):
        p = float(probabilities[step, k])
        if k != 0 and k == previous:
            confs[-1] = max(confs[-1], p)
        elif k != 0:
            chars.append(alphabet[k - 1])
            confs.append(p)
        previous = k
    if not chars:
        return TextRead("", 0.0)
    return TextRead("".join(chars), round(float(probabilities.max(axis=1).min()), 4), tuple(round(c, 4) for c in confs))


#: Test-time views of one crop, as pixel margins ``(left, top, right, bottom)`` of a 64 × 128 network input (scaled to
#: the actual input size; negative: that many pixels of border added), each resized back to the input size: the crop
#: as given, a tighter box, a looser one, and two boxes shifted diagonally. A plate detector's box varies this much
#: from frame to frame (the training augmentation zooms by 0.9–1.12 and shifts by up to 6–8 %,
#: ``helmetscan.tooling.plate_train_data.augment``), so a read that changes between them is one the network is unsure
#: of. Chosen before measuring; on the model-selection set the five views read more plates exactly than the first
#: alone (``weights/PLATE_READER.md``).
VIEWS = ((0, 0, 0, 0), (4, 3, 4, 3), (-6, -3, -6, -3), (6, 0, 0, 4), (0, 4, 6, 0))


def view_inputs(model_input: np.ndarray, views=VIEWS) -> np.ndarray:
    """The test-time views of one network input ((H, W) uint8 grey, :func:`to_model_input`): (len(views), H, W)
    uint8, one per ``(left, top, right, bottom)`` margin of :data:`VIEWS` (pixels of a 64 × 128 input, scaled to
    H × W)."""
    import cv2

    size = model_input.shape
    sx, sy = size[1] / 128, size[0] / 64
    out = []
    for view in views:
        left, right = (round(m * sx) for m in view[0::2])
        top, bottom = (round(m * sy) for m in view[1::2])
        grown = cv2.copyMakeBorder(model_input, max(0, -top), max(0, -bottom), max(0, -left), max(0, -right),
                                   cv2.BORDER_REPLICATE)
        h, w = grown.shape
        out.append(to_model_input(grown[max(0, top): h - max(0, bottom), max(0, left): w - max(0, right)], size))
    return np.stack(out)


def beam_read(views: np.ndarray, alphabet: str, width: int, constraint=None) -> TextRead:
    """One read from the CTC outputs of one crop's views ((views, steps, 1 + len(alphabet)) float) by prefix beam
    search (:func:`helmetscan.plates.ctc_beam.prefix_beam_search`).

    Each view's texts keep their probabilities; the text with the largest mean probability over the views wins, and
    that mean is its ``confidence``: the network's probability that the crop spells exactly this text (a view that
    does not find it adds 0). With ``constraint`` (a :class:`~helmetscan.core.plate_formats.FormatConstraint`)
    only texts of an accepted plate format are searched; when no view finds one, the search runs again without it,
    so a plate of an unlisted format is still read (and left unvalidated). ``char_confidences``: the mean over the
    views that found the text of :func:`~helmetscan.plates.ctc_beam.aligned_char_confidences`.
    """
    from helmetscan.plates.ctc_beam import aligned_char_confidences, prefix_beam_search

    def search(limit):
        return [prefix_beam_search(p, alphabet, width, limit and limit.viable, limit and limit.complete)
                for p in views]

    found = search(constraint)
    if constraint is not None and not any(found):
        found = search(None)
    mean: dict[str, float] = {}
    for texts in found:
        for text, p in texts:
            mean[text] = mean.get(text, 0.0) + p / len(views)
    if not mean:
        return TextRead("", 0.0)
    text = max(mean, key=lambda t: (mean[t], t))
    chars = [aligned_char_confidences(p, alphabet, text) for p, texts in zip(views, found)
             if any(t == text for t, _ in texts)]
    chars = [c for c in chars if c is not None]
    char_confidences = tuple(round(float(np.mean(c)), 4) for c in zip(*chars)) if chars else None
    return TextRead(text, round(min(1.0, mean[text]), 4), char_confidences)


class PlateRecognizer:
    """Reads plate crops with our ONNX plate model: each crop's views decoded together by :func:`beam_read`.

    Args:
        model_path: the ``.onnx`` file (``plate_reader.onnx`` in the weights folder).
        threads: ONNX Runtime intra-op threads (1 was fastest for one crop at a time on the 2-core development CPU).
        views: test-time views read per crop (:data:`VIEWS`); 1: the crop as given only.
        beam_width: texts kept per view by the beam search (``plates.reader_beam_width``), at least 1.
        formats: the accepted plate formats the search keeps to
            (:class:`~helmetscan.core.plate_formats.FormatConstraint`); ``None``: any text.

    Raises:
        WeightsError: the file is missing, is not an ONNX model, carries no ``alphabet`` metadata, or its metadata
            names a decoder other than ``ctc``.
        ValueError: ``views`` outside 1..len(VIEWS) or ``beam_width`` under 1.
    """

    def __init__(self, model_path: Path, threads: int = 1, views: int = len(VIEWS), beam_width: int = 8,
                 formats=None):
        from helmetscan.inference.onnx_session import cpu_session

        if not model_path.is_file():
            raise WeightsError(f"{model_path}: plate reader model missing; fetch it with `helmetscan fetch-weights`")
        self._session = cpu_session(model_path, threads)
        meta = self._session.get_modelmeta().custom_metadata_map
        if "alphabet" not in meta:
            raise WeightsError(f"{model_path}: no 'alphabet' in the model's metadata; not a helmetscan plate model")
        decoder = meta.get("decoder")
        if decoder != "ctc":
            named = f"decoder {decoder!r}" if decoder else "no decoder"
            raise WeightsError(f"{model_path}: the model's metadata names {named}; helmetscan reads plates only with a "
                               "CTC reader (decoder 'ctc', as weights/plate_reader.onnx)")
        self.alphabet = meta["alphabet"]
        model_input = self._session.get_inputs()[0]
        self._input = model_input.name
        self.input_size = tuple(model_input.shape[2:4])  # (height, width) of the network input
        if not 1 <= views <= len(VIEWS):
            raise ValueError(f"views must be 1..{len(VIEWS)}, not {views}")
        self.views = VIEWS[:views]
        if beam_width < 1:
            raise ValueError(f"beam_width must be 1 or more, not {beam_width}")
        self.beam_width = beam_width
        if formats:
            from helmetscan.core.plate_formats import FormatConstraint

            self.constraint = FormatConstraint(formats)
        else:
            self.constraint = None

    def probabilities(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Per-step probabilities of every view of a batch of plate crops ((h, w, 3) uint8 BGR each), one array per
        model output (a line reader's: ``line``, ``rows``): (N, views, steps, 1 + alphabet)."""
        batch = np.concatenate([view_inputs(to_model_input(im, self.input_size), self.views) for im in images])
        outputs = self._session.run(None, {self._input: batch[:, None].astype(np.float32) / 255.0})
        return [probs.reshape(len(images), len(self.views), *probs.shape[1:]) for probs in outputs]

    def read_batch(self, images: list[np.ndarray]) -> list[TextRead]:
        """Read several plate crops ((h, w, 3) uint8 BGR each) in one run, each crop's views searched together
        (:func:`beam_read`); of a line reader's two readings of a crop, the more probable read (``line`` on a tie)."""
        if not images:
            return []
        outputs = self.probabilities(images)
        reads = []
        for i in range(len(images)):
            candidates = [beam_read(probs[i], self.alphabet, self.beam_width, self.constraint) for probs in outputs]
            reads.append(max(candidates, key=lambda read: read.confidence))
        return reads

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read one plate crop ((h, w, 3) uint8 BGR): text without separators, confidence, per-character confidences."""
        return self.read_batch([image])[0]
