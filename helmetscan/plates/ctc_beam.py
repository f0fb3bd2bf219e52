"""CTC prefix beam search, optionally held to plate formats, and the forced alignment of a chosen text.

Greedy CTC decoding (:func:`helmetscan.plates.recognizer.decode_ctc`) keeps the most probable class of each
step; the most probable *text* sums over every alignment that spells it, and it may also be the most probable one
that is a plate. Prefix beam search (Hannun et al. 2014, "First-Pass Large Vocabulary Continuous Speech Recognition
using Bi-Directional Recurrent DNNs", Graves et al. 2006 for the blank/non-blank split) keeps the ``width`` most
probable prefixes, each with the probability of its alignments that end in a blank and in its last character. A
``viable`` predicate drops a prefix as soon as no accepted plate format can start with it
(:class:`helmetscan.core.plate_formats.FormatConstraint`), so the beam spends its width on plates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

#: Classes below this probability at a step are not tried as extensions at that step (our choice: on the
#: model-selection set, 1e-2 and 1e-3 gave the same exact reads, 1e-2 in half the time; ``weights/PLATE_READER.md``).
MIN_CLASS_PROBABILITY = 1e-2


def prefix_beam_search(probabilities: np.ndarray, alphabet: str, width: int = 8,
                       viable: Callable[[str], bool] | None = None,
                       complete: Callable[[str], bool] | None = None,
                       min_class_probability: float = MIN_CLASS_PROBABILITY) -> list[tuple[str, float]]:
    """The most probable texts of one crop's CTC output.

    Args:
        probabilities: (steps, 1 + len(alphabet)) float, rows sum to 1; class 0 is the CTC blank.
        alphabet: the characters of classes 1.. .
        width: prefixes kept after each step.
        viable: ``viable(prefix)`` is False when no accepted text starts with ``prefix``; such prefixes are dropped.
            Called for every extension tried, so it should be cheap (``FormatConstraint.viable`` memoises).
        complete: ``complete(text)`` is False for texts that are not accepted at the end (not a whole plate).
        min_class_probability: a class is tried at a step only from this probability on.

    Returns:
        ``(text, probability)`` pairs, most probable first: non-empty texts that survived the beam and pass
        ``complete``; ``probability`` is the summed probability of the alignments that spell ``text`` among those the
        beam kept (a lower bound of the CTC posterior P(text | crop)). Empty when no text passes.
    """
    beams: dict[str, tuple[float, float]] = {"": (1.0, 0.0)}  # prefix -> (P ends in blank, P ends in its last char)
    ok = viable or (lambda _prefix: True)

    for row in probabilities:
        candidates = [int(k) for k in np.flatnonzero(row >= min_class_probability) if k != 0]
        grown: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for prefix, (p_blank, p_char) in beams.items():
            total = p_blank + p_char
            grown[prefix][0] += total * float(row[0])
            last = prefix[-1] if prefix else None
            for k in candidates:
                ch, p = alphabet[k - 1], float(row[k])
                if ch == last:
                    grown[prefix][1] += p_char * p  # the run of ``last`` goes on
                    if p_blank > 0 and ok(prefix + ch):
                        grown[prefix + ch][1] += p_blank * p  # a blank separated two of the same
                elif ok(prefix + ch):
                    grown[prefix + ch][1] += total * p
        beams = dict(sorted(grown.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:width])
    out = [(text, p_blank + p_char) for text, (p_blank, p_char) in beams.items()
           if text and (complete is None or complete(text))]
    return sorted(out, key=lambda tp: -tp[1])


def aligned_char_confidences(probabilities: np.ndarray, alphabet: str, text: str) -> tuple[float, ...] | None:
    """Per-character confidences of ``text`` in one crop's CTC output: the best (Viterbi) alignment of ``text`` to
    the steps, and for each character the highest probability it has over the steps aligned to it.

    Args:
        probabilities: (steps, 1 + len(alphabet)) float; class 0 is the CTC blank.
        alphabet: the characters of classes 1.. .
        text: characters of ``alphabet``.

    Returns:
        One value per character of ``text``, or ``None`` when ``text`` cannot be aligned (too long for the steps, or
        a character outside ``alphabet``).
    """
    if not text or any(ch not in alphabet for ch in text):
        return None
    labels = [0]
    for ch in text:
        labels += [alphabet.index(ch) + 1, 0]  # blank, c1, blank, c2, ..., blank
    steps, states = len(probabilities), len(labels)
    with np.errstate(divide="ignore"):
        logp = np.log(probabilities[:, labels])  # (steps, states)
    score = np.full(states, -np.inf)
    score[0], score[1] = logp[0, 0], logp[0, 1]
    back = np.zeros((steps, states), np.int64)
    # a blank may be skipped between two different characters (Graves et al. 2006)
    skip_ok = np.array([s >= 2 and labels[s] != 0 and labels[s] != labels[s - 2] for s in range(states)])
    for t in range(1, steps):
        stay, step1 = score, np.concatenate([[-np.inf], score[:-1]])
        step2 = np.where(skip_ok, np.concatenate([[-np.inf, -np.inf], score[:-2]]), -np.inf)
        options = np.stack([stay, step1, step2])
        back[t] = options.argmax(axis=0)
        score = options.max(axis=0) + logp[t]
    end = states - 1 if score[states - 1] >= score[states - 2] else states - 2
    if not np.isfinite(score[end]):
        return None
    best = [0.0] * len(text)
    state = end
    for t in range(steps - 1, -1, -1):
        if labels[state] != 0:
            char = (state - 1) // 2
            best[char] = max(best[char], float(probabilities[t, labels[state]]))
        state -= int(back[t, state])
    return tuple(round(c, 4) for c in best)
