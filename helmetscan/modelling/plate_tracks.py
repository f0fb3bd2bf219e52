"""Track-level plate figures on rendered tracks: what the fusion of a track's reads (``plate_text.fuse_reads``) would
report under a confidence floor and a number of agreeing frames, to tune the track-level rule on data we may tune on.

The reader's floor (``plates.min_plate_conf``) was chosen on single crops, but ``analyze`` reports a track's plate
fused over up to ``plates.max_reads_per_track`` reads, and a fused confidence does not grow when more frames agree
(``FusedPlate.confidence``: about the mean read confidence). A simulated track here is one plate drawn once (one font,
colours and layout: the same physical plate) and degraded ``--frames`` times independently, with the held-out fonts and
degradations and the evaluation mix (``plate_render.EVAL_MIX``) of the model-selection sets, from a seed no evaluation
set uses. Real frames of one track are more alike than independent degradations, so agreement here overstates how
independent real reads are: a rule chosen here needs a margin.

    python -m helmetscan.modelling.plate_tracks --tracks 300 --frames 5
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

#: Seed of the simulated tracks (plate_sets uses 1000 and 2024, plate_train's selection set 1000).
TRACK_SEED = 3000


def simulate(n: int, frames: int, seed: int = TRACK_SEED) -> list[tuple[str, list]]:
    """``n`` tracks of ``frames`` crops each: ``[(plate text, [(h, w, 3) uint8 BGR crop, ...])]``."""
    from helmetscan.modelling.plate_render import (EVAL_MIX, HELD_OUT_DEGRADATION, degrade, draw_plate, font_pools,
                                                   fonts_for, random_plate_text)

    _, fonts = font_pools()
    rng = random.Random(seed)
    tracks = []
    for _ in range(n):
        plate = random_plate_text(rng, EVAL_MIX)
        clean = draw_plate(plate, rng.choice(fonts_for(plate, fonts)), rng)
        tracks.append((plate.text, [degrade(clean, rng, HELD_OUT_DEGRADATION) for _ in range(frames)]))
    return tracks


def fuse_tracks(tracks: list[tuple[str, list]], settings) -> list[dict]:
    """Read every crop of every track as ``analyze`` does (``CropReader``) and fuse each track with no floor: per track
    ``truth``, ``text`` (fused), ``confidence``, ``frames_read``, ``frames_agreeing``."""
    from helmetscan.models.loader import build_recognizer
    from helmetscan.pipeline.plate_reading import CropReader
    from helmetscan.pipeline.plate_text import fuse_reads

    recognizer, _ = build_recognizer(settings, settings.plates.recognizer)
    reader = CropReader(recognizer, settings.plates)
    rows = []
    for truth, crops in tracks:
        reads = [r.read for r in reader.read(crops, list(range(len(crops))))]
        fused = fuse_reads(reads, reader.formats, settings.plates.min_ocr_conf, 0.0, settings.plates.fusion)
        rows.append({"truth": truth, "text": fused.text, "confidence": fused.confidence,
                     "frames_read": fused.frames_read, "frames_agreeing": fused.frames_agreeing})
    return rows


def rule_table(rows: list[dict], floors: tuple[float, ...], agreeing: tuple[int, ...]) -> list[list]:
    """Per (least agreeing frames, floor): tracks reported, share of all tracks, precision (fused text = truth)."""
    table = []
    for k in agreeing:
        for floor in floors:
            kept = [r for r in rows if r["text"] and r["frames_agreeing"] >= k and r["confidence"] >= floor]
            right = sum(r["text"] == r["truth"] for r in kept)
            table.append([k, floor, len(kept), round(len(kept) / max(1, len(rows)), 3),
                          round(right / len(kept), 3) if kept else ""])
    return table


def main(argv: list[str] | None = None) -> None:
    from helmetscan.config import load_settings
    from helmetscan.fielddoc import markdown_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, default=300)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--seed", type=int, default=TRACK_SEED)
    ap.add_argument("--config", type=Path, help="a helmetscan config file (TOML), e.g. another reader or decoding")
    args = ap.parse_args(argv)
    rows = fuse_tracks(simulate(args.tracks, args.frames, args.seed), load_settings(args.config))
    exact = sum(r["text"] == r["truth"] for r in rows) / max(1, len(rows))
    print(f"{len(rows)} rendered tracks of {args.frames} frames (seed {args.seed}); fused text exact, no floor: "
          f"{exact:.3f}")
    print(markdown_table(["least agreeing frames", "floor", "tracks reported", "share", "precision"],
                         rule_table(rows, (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7), tuple(range(1, args.frames + 1)))))


if __name__ == "__main__":
    main()
