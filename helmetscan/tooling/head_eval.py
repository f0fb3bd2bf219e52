"""Score a head classifier on a split of head crops (:mod:`helmetscan.tooling.head_crops`): precision and recall of
"without helmet" at each probability floor, and accuracy by head size — the figures behind ``verification.min_head_px``
and ``verification.classifier_conf``.

    helmetscan evaluate-heads CROPS MODEL [--split test]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Head-size bins (longer side of the labelled head box, source pixels) for the by-size table.
SIZE_BINS = (0, 12, 16, 24, 32, 48, 10_000)


def predict_split(crops: Path, model: Path, split: str = "test", batch: int = 256):
    """A table (pandas) of the split's crops with ``truth``, ``label`` and ``p`` (the classifier's probability of its
    label) — one row per labelled head (variant 0).

    Raises:
        FileNotFoundError: no ``crops.csv`` in ``crops``.
    """
    import cv2
    import pandas as pd

    from helmetscan.inference.head_classifier import HeadClassifier

    table = pd.read_csv(crops / "crops.csv")
    table = table[(table.split == split) & (table.variant == 0)].reset_index(drop=True)
    classifier = HeadClassifier(model)
    out = []
    for start in range(0, len(table), batch):
        images = [cv2.imread(str(crops / c)) for c in table.crop[start:start + batch]]
        out += classifier(images)
    table["truth"] = table["class"].str.replace("_", " ")
    table["label"] = [label for label, _ in out]
    table["p"] = [p for _, p in out]
    return table


def bare_precision_recall(table, floor: float) -> dict:
    """Precision and recall of "without helmet" when only labels at or above ``floor`` count (the rest abstain)."""
    said = (table.label == "without helmet") & (table.p >= floor)
    bare = table.truth == "without helmet"
    tp = int((said & bare).sum())
    return {"floor": floor, "reported": int(said.sum()), "precision": tp / said.sum() if said.sum() else float("nan"),
            "recall": tp / bare.sum() if bare.sum() else float("nan"),
            "abstained": int((table.p < floor).sum())}


def by_size(table):
    """Accuracy, bare-head precision and recall per head-size bin (:data:`SIZE_BINS`)."""
    import pandas as pd

    table = table.assign(size=pd.cut(table.head_px, SIZE_BINS, right=False))
    rows = []
    for size, part in table.groupby("size", observed=True):
        said, bare = part.label == "without helmet", part.truth == "without helmet"
        rows.append({"head px": str(size), "heads": len(part), "bare": int(bare.sum()),
                     "accuracy": float((part.label == part.truth).mean()),
                     "bare precision": float((said & bare).sum() / said.sum()) if said.sum() else np.nan,
                     "bare recall": float((said & bare).sum() / bare.sum()) if bare.sum() else np.nan})
    return pd.DataFrame(rows)


#: Probability floors of the precision/recall table.
FLOORS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def head_report(crops: Path, model: Path, split: str = "test") -> str:
    """``helmetscan evaluate-heads``: the classifier ``model`` on the ``split`` crops of ``crops`` as text: heads and
    accuracy, :func:`bare_precision_recall` at each of :data:`FLOORS`, :func:`by_size`, and accuracy per source.

    Raises:
        FileNotFoundError: no ``crops.csv`` in ``crops``; WeightsError: ``model`` cannot be loaded.
    """
    import pandas as pd

    t = predict_split(crops, model, split)
    per_source = t.groupby("source").apply(
        lambda p: pd.Series({"heads": len(p), "accuracy": (p.label == p.truth).mean()}), include_groups=False)
    return "\n".join([
        f"{model} on {crops}/{split}: {len(t)} heads, accuracy {(t.label == t.truth).mean():.3f}",
        pd.DataFrame([bare_precision_recall(t, f) for f in FLOORS]).round(3).to_string(index=False),
        by_size(t).round(3).to_string(index=False),
        per_source.round(3).to_string(),
    ])
