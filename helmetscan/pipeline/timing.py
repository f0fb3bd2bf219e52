"""One stage timer for the whole pipeline: wall seconds and calls per stage, and the rates derived from them."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class _Span:
    calls: int = 1


@dataclass
class StageTimer:
    """Accumulates wall time (``seconds``: stage → s, ``time.perf_counter``) and work done (``calls``: stage → items:
    frames for stage 1 and tracking, rider crops for stage 2, plate reads for plates).

    Usage::

        with timer.stage("stage1"):
            detections = detector(image)
        with timer.stage("plates") as span:
            span.calls = reads_run        # when the work is only known afterwards
    """

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @contextmanager
    def stage(self, name: str, calls: int | None = 1) -> Iterator[_Span]:
        """Time the block as ``name``; count ``calls`` items (``None``: time only, count nothing)."""
        span = _Span(calls or 0)
        t0 = time.perf_counter()
        try:
            yield span
        finally:
            self.seconds[name] += time.perf_counter() - t0
            if calls is not None:
                self.calls[name] += span.calls

    def rounded_seconds(self) -> dict[str, float]:
        """``seconds`` rounded to milliseconds."""
        return {k: round(v, 3) for k, v in self.seconds.items()}

    def rates(self) -> dict[str, float]:
        """Items per second for every counted stage with time spent (2 decimals)."""
        return {k: round(n / self.seconds[k], 2) for k, n in self.calls.items() if self.seconds.get(k, 0) > 0}
