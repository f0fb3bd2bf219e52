"""Stages in threads joined by bounded queues: the source (frame decoding) and each per-item stage (stage 1) run in a
thread of their own while the caller consumes the results in order, so decoding, detection and the later stages of
the frame loop use different cores at the same time.

Order is kept (one thread per stage, FIFO queues); memory stays flat (each queue holds at most ``maxsize`` items, a
full queue blocks the stage before it: back-pressure); a stage that raises stops the whole chain and the consumer gets
that exception; closing the iterator early (``break``, an exception in the consumer) stops every thread, and no thread
outlives the ``with`` block. Heavy numeric work (PyAV/OpenCV decoding, ONNX Runtime, torch) releases the GIL, which is
what makes threads pay here.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: How often a blocked put/get looks whether the chain was stopped (s). Short enough to stop promptly, long enough to
#: cost nothing (our choice).
POLL_S = 0.05


class _End:
    """Marks the end of the items."""


@dataclass(frozen=True)
class _Failure:
    """Carries a stage's exception downstream, in place of the items it would have produced."""

    error: BaseException


class StageChain:
    """Iterate over ``source`` through ``stages``, each in its own thread.

    Args:
        source: the items (e.g. a generator of decoded frames); iterated in a thread of its own.
        stages: ``(name, fn)`` pairs; ``fn(item) -> item`` runs on every item in a thread named ``name``.
        maxsize: items each queue holds at most (≥ 1).

    Use as a context manager and iterate it once::

        with StageChain(frames, [("stage1", detect)], maxsize=4) as chain:
            for frame, detections in chain:
                ...

    Raises:
        ValueError: ``maxsize`` < 1.
        Exception: iterating re-raises the first exception of the source or a stage (the chain stops there).
    """

    def __init__(self, source: Iterable[Any], stages: list[tuple[str, Callable[[Any], Any]]], maxsize: int = 4):
        if maxsize < 1:
            raise ValueError(f"queue size must be >= 1, got {maxsize}")
        self._stop = threading.Event()
        self._queues = [queue.Queue(maxsize) for _ in range(len(stages) + 1)]
        self._threads = [threading.Thread(target=self._feed, args=(iter(source), self._queues[0]),
                                          name="source", daemon=True)]
        self._threads += [threading.Thread(target=self._work, args=(fn, self._queues[i], self._queues[i + 1]),
                                           name=name, daemon=True)
                          for i, (name, fn) in enumerate(stages)]
        self._started = False

    # ---- the threads -----------------------------------------------------------------------------------------------

    def _put(self, q: queue.Queue, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _get(self, q: queue.Queue) -> Any:
        while not self._stop.is_set():
            try:
                return q.get(timeout=POLL_S)
            except queue.Empty:
                continue
        return _End()

    def _feed(self, items: Iterator[Any], out: queue.Queue) -> None:
        try:
            for item in items:
                if not self._put(out, item):
                    return
            self._put(out, _End())
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put(out, _Failure(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's finally blocks run here (the video is released)

    def _work(self, fn: Callable[[Any], Any], source: queue.Queue, out: queue.Queue) -> None:
        while True:
            item = self._get(source)
            if isinstance(item, (_End, _Failure)):
                self._put(out, item)
                return
            try:
                result = fn(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
                self._put(out, _Failure(exc))
                return
            if not self._put(out, result):
                return

    # ---- the consumer ----------------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        if self._started:
            raise RuntimeError("a StageChain is iterated once")
        self._started = True
        for thread in self._threads:
            thread.start()
        last = self._queues[-1]
        while True:
            item = self._get(last)
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop every thread and wait for them (at most ``timeout_s`` each)."""
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout_s)

    @property
    def alive(self) -> int:
        """Threads still running."""
        return sum(t.is_alive() for t in self._threads)

    def __enter__(self) -> StageChain:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
