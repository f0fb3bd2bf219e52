"""Our plate recogniser at run time, run with ONNX Runtime. One forward pass reads one- and two-row plates; no text
detection, no row splitting.

The network sees the whole plate crop squeezed to :data:`INPUT_HEIGHT` x :data:`INPUT_WIDTH` grey pixels and returns
a probability over ``["_"] + alphabet`` for each of its output steps. Two decoders, named by the model's metadata
(``decoder``):

* ``ctc`` (CRNN, Shi et al. 2015, "An End-to-End Trainable Neural Network for Image-based Sequence Recognition"): the
  steps are the columns of the top half of the plate followed by those of the bottom half (of the top quarter, then
  the next ones down, for a reader trained with ``plate_train --bands 4``), so a two-row plate is read top row first;
  ``_`` is the CTC blank. A reader trained with ``plate_train --rows`` reads each half as its own row and puts one
  certain blank step between them; the decoding is the same.
* ``slots`` (fast-plate-ocr's fixed-slot design, the first model): one step per character position, ``_`` = no
  character.

The alphabet is read from the ONNX file's metadata (``alphabet``), so the runtime never disagrees with the model it
loads. Trained by :mod:`helmetscan.tooling.plate_train`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.core.detections import TextRead

#: Input size of the networks we train now (pixels): 64 × 256 grey. The first readers took 64 × 128, as in the trial
#: recorded in ../shared/README.md §4; on the selection set their exact reads did not rise with the crop's width (a
#: two-row plate's top row of up to five Hangul syllables got about eight of the CRNN's 16 columns), so the width
#: grew to 192 (session 9) and to 256 (session 12: 32 columns a row; ``weights/PLATE_READER.md``). At run time the
#: size is read from the ONNX file's input shape.
INPUT_HEIGHT, INPUT_WIDTH = 64, 256

#: Output class 0: no character at this slot.
PAD = "_"


def to_model_input(image: np.ndarray, size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> np.ndarray:
    """A plate crop ((h, w, 3) uint8 BGR, or (h, w) grey) as the network's input: ``size`` (height, width) uint8 grey,
    squeezed to the input size without keeping the aspect ratio (the networks are trained on exactly this)."""
    import cv2

    height, width = size
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    interpolation = cv2.INTER_AREA if grey.shape[1] > width else cv2.INTER_LINEAR
    return cv2.resize(grey, (width, height), interpolation=interpolation)


def decode(probabilities: np.ndarray, alphabet: str) -> TextRead:
    """Turn one plate's slot probabilities ((slots, 1 + len(alphabet)) float, rows sum to 1) into text.

    Each slot takes its most probable class; pad slots are dropped. ``char_confidences`` are the winning
    probabilities of the characters kept; ``confidence`` is their minimum (a plate is only as sure as its least sure
    character) times the probability that the slots after the text are empty, 0 when nothing was read.
    """
    best = probabilities.argmax(axis=1)
    chars, confs, pad_conf = [], [], 1.0
    for slot, k in enumerate(best):
        p = float(probabilities[slot, k])
        if k == 0:
            pad_conf = min(pad_conf, p)
        else:
            chars.append(alphabet[k - 1])
            confs.append(p)
    if not chars:
        return TextRead("", 0.0)
    return TextRead("".join(chars), round(min(confs) * pad_conf, 4), tuple(round(c, 4) for c in confs))


def decode_ctc(probabilities: np.ndarray, alphabet: str) -> TextRead:
    """Greedy CTC decoding of one plate ((steps, 1 + len(alphabet)) float, rows sum to 1; class 0 = blank).

    The most probable class of each step is kept, runs of one class collapse to one character and blanks are dropped
    (Graves et al. 2006). A character's confidence is the highest probability it reaches over its run.
    ``confidence`` is the lowest winning probability over *all* steps, blank steps included (0 when nothing was read):
    a character the network half-emits and then drops shows only as an unsure blank step, so the lowest character
    confidence alone missed deletions. On the model-selection set (3,000 rendered plates) the session-7 CRNN's reads
    at confidence >= 0.6 were 10 % right with the character minimum and 89 % with the step minimum
    (``weights/PLATE_READER.md``).
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


DECODERS = {"slots": decode, "ctc": decode_ctc}

#: Test-time views of one crop, as pixel margins ``(left, top, right, bottom)`` cut from the 64 × 128 network input
#: (negative: that many pixels of border added), each resized back to the input size: the crop as given, a tighter
#: box, a looser one, and two boxes shifted diagonally. A plate detector's box varies this much from frame to frame
#: (the training augmentation zooms by 0.9–1.12 and shifts by up to 6–8 %, ``plate_train.augment``), so a read that
#: changes between them is one the network is unsure of. Chosen before measuring; on the model-selection set (3,000
#: rendered plates) voting over these five views read 11.9 % of plates exactly where the first view alone read 9.0 %
#: (the session-6 slot model, ``weights/PLATE_READER.md``).
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


#: Texts of one crop kept with their probabilities for the fusion over a track (``plates.fusion = "probability"``):
#: as many as the default beam keeps per view (``plates.reader_beam_width`` 8); the views together may find more, and
#: texts below the eighth carry little of the mass.
MAX_ALTERNATIVES = 8


#: What :func:`beam_read`'s ``confidence`` is (``plates.reader_confidence``): ``probability``, the network's
#: probability of the text (through session 16); ``margin``, that probability minus the next text's (session 17).
CONFIDENCES = ("probability", "margin")


def _check_confidence(confidence: str) -> None:
    """Raises ValueError for a ``confidence`` not in :data:`CONFIDENCES`."""
    if confidence not in CONFIDENCES:
        raise ValueError(f"unknown plate confidence {confidence!r} (known: {', '.join(CONFIDENCES)})")


def beam_read(views: np.ndarray, alphabet: str, width: int, constraint=None,
              confidence: str = "probability") -> TextRead:
    """One read from the CTC outputs of one crop's views ((views, steps, 1 + len(alphabet)) float) by prefix beam
    search (:func:`helmetscan.plates.ctc_beam.prefix_beam_search`).

    Each view's texts keep their probabilities; the text with the largest mean probability over the views wins, and
    that mean is its ``confidence``: the network's probability that the crop spells exactly this text (a view that
    does not find it adds 0). With ``constraint`` (a :class:`~helmetscan.core.plate_formats.FormatConstraint`)
    only texts of an accepted plate format are searched; when no view finds one, the search runs again without it,
    so a plate of an unlisted format is still read (and left unvalidated). ``char_confidences``: the mean over the
    views that found the text of :func:`~helmetscan.plates.ctc_beam.aligned_char_confidences`. ``alternatives``: the
    :data:`MAX_ALTERNATIVES` texts of largest mean probability with that mean (a track's reads are fused on them,
    :func:`~helmetscan.plates.fuse.fuse_reads`).

    ``confidence="margin"``: the ``confidence`` is instead the text's mean probability minus the next most probable
    text's (0 when there is none), so a read that a near-equal competitor could replace is not sure, however large its
    own probability (:data:`CONFIDENCES`; ``alternatives`` keep the probabilities).

    Raises:
        ValueError: an unknown ``confidence``.
    """
    _check_confidence(confidence)
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
    ranked = sorted(mean.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ALTERNATIVES]
    alternatives = tuple((t, round(min(1.0, p), 4)) for t, p in ranked)
    score = mean[text]
    if confidence == "margin":
        score -= max((p for t, p in mean.items() if t != text), default=0.0)
    return TextRead(text, round(min(1.0, score), 4), char_confidences, alternatives)


def vote(reads: list[TextRead]) -> TextRead:
    """One read from the reads of one crop's views: the text most views read (ties: the larger summed confidence).
    Its ``confidence`` is the summed confidence of the views that read it over the number of views (views that
    disagree make the plate less sure); ``char_confidences`` the mean over those views."""
    support: dict[str, list[TextRead]] = {}
    for read in reads:
        support.setdefault(read.text, []).append(read)
    text, agreeing = max(support.items(), key=lambda kv: (len(kv[1]), sum(r.confidence for r in kv[1])))
    if not text:
        return TextRead("", 0.0)
    chars = tuple(round(float(np.mean(c)), 4) for c in zip(*(r.char_confidences for r in agreeing)))
    return TextRead(text, round(sum(r.confidence for r in agreeing) / len(reads), 4), chars)


class PlateRecognizer:
    """Reads plate crops with our ONNX plate model.

    Args:
        model_path: the ``.onnx`` file (``plate_reader.onnx`` in the weights folder).
        threads: ONNX Runtime intra-op threads (1 is fastest for one 64 × 128 crop at a time on this CPU).
        views: test-time views read per crop (:data:`VIEWS`); 1: the crop as given only.
        beam_width: CTC readers only: prefixes kept by the beam search over the views (:func:`beam_read`); 0: greedy
            decoding of each view and a vote (:func:`vote`, the decoding until session 10).
        formats: CTC readers with a beam only: the accepted plate formats the search keeps to
            (:class:`~helmetscan.core.plate_formats.FormatConstraint`); ``None``: any text.
        confidence: CTC readers with a beam only: what a read's confidence is (:data:`CONFIDENCES`, :func:`beam_read`).

    Raises:
        WeightsError: the file is missing, is not an ONNX model, or carries no ``alphabet`` metadata.
    """

    def __init__(self, model_path: Path, threads: int = 1, views: int = len(VIEWS), beam_width: int = 0,
                 formats=None, confidence: str = "probability"):
        from helmetscan.inference.onnx_session import cpu_session

        if not model_path.is_file():
            raise WeightsError(f"{model_path}: plate reader model missing; fetch it with `helmetscan fetch-weights`")
        self._session = cpu_session(model_path, threads)
        meta = self._session.get_modelmeta().custom_metadata_map
        if "alphabet" not in meta:
            raise WeightsError(f"{model_path}: no 'alphabet' in the model's metadata; not a helmetscan plate model")
        self.alphabet = meta["alphabet"]
        decoder = meta.get("decoder", "slots")
        if decoder not in DECODERS:
            raise WeightsError(f"{model_path}: unknown decoder {decoder!r} in the model's metadata (known: "
                               f"{', '.join(DECODERS)})")
        self._decode = DECODERS[decoder]
        model_input = self._session.get_inputs()[0]
        self._input = model_input.name
        self.input_size = tuple(model_input.shape[2:4])  # (height, width) of the network input
        if not 1 <= views <= len(VIEWS):
            raise ValueError(f"views must be 1..{len(VIEWS)}, not {views}")
        self.views = VIEWS[:views]
        _check_confidence(confidence)
        self.confidence = confidence
        if beam_width < 0:
            raise ValueError(f"beam_width must be 0 (greedy) or more, not {beam_width}")
        self.beam_width = beam_width if decoder == "ctc" else 0
        if self.beam_width and formats:
            from helmetscan.core.plate_formats import FormatConstraint

            self.constraint = FormatConstraint(formats)
        else:
            self.constraint = None

    def probabilities(self, images: list[np.ndarray]) -> np.ndarray:
        """Per-step probabilities of every view of a batch of plate crops ((h, w, 3) uint8 BGR each):
        (N, views, steps, 1 + alphabet)."""
        batch = np.concatenate([view_inputs(to_model_input(im, self.input_size), self.views) for im in images])
        probs = self._session.run(None, {self._input: batch[:, None].astype(np.float32) / 255.0})[0]
        return probs.reshape(len(images), len(self.views), *probs.shape[1:])

    def read_batch(self, images: list[np.ndarray]) -> list[TextRead]:
        """Read several plate crops in one run: each crop's views searched together (:func:`beam_read`), or, with
        ``beam_width`` 0, each view decoded and the views voted on (:func:`vote`)."""
        if not images:
            return []
        if self.beam_width:
            return [beam_read(views, self.alphabet, self.beam_width, self.constraint, self.confidence)
                    for views in self.probabilities(images)]
        return [vote([self._decode(p, self.alphabet) for p in views]) for views in self.probabilities(images)]

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read one plate crop ((h, w, 3) uint8 BGR): text without separators, confidence, per-character confidences."""
        return self.read_batch([image])[0]
