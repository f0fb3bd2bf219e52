"""Run a batch on a Ray cluster: one task per video on actors that each load the models once.

Ray is an optional extra (``pip install 'helmetscan[ray]'``); nothing imports it unless ``--executor ray`` is asked for.

Where the evidence goes: each worker writes its video's results to ``OUT`` itself, exactly as the local runner does
(assembled under ``OUT/.partial/<key>.<attempt>``, renamed into place when complete), so ``OUT`` and the inputs must be
on storage every node sees at the same path (NFS, CephFS, a mounted bucket with POSIX renames). Only the records travel
back to the driver, which alone writes the results database, ``SHA256SUMS`` and the reports, after each video's folder
is in place. A worker that dies mid-video leaves at most an unpublished ``.partial`` folder (removed by the next run);
its video is given to a fresh worker once, then recorded as failed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from helmetscan.core.errors import ConfigError, OutputFull
from helmetscan.core.messages import WORKER_ERROR, WORKER_LOST
from helmetscan.results.records import VideoRecord, ViolationRecord
from helmetscan.runner.batch import check_free_space

#: Attempts per video when the worker running it is lost (killed, out of memory, node gone): the first and one retry.
MAX_ATTEMPTS = 2


def require_ray():
    """Import Ray.

    Raises:
        ConfigError: Ray is not installed (one line naming the extra that brings it; exit 2).
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install 'helmetscan[ray]'") from None
    return ray


class _Worker:
    """A Ray actor: a :class:`~helmetscan.runner.batch.BatchRunner` with its own models, loaded once."""

    def __init__(self, settings, model_factory: Callable):
        from helmetscan.runner.batch import BatchRunner

        self.runner = BatchRunner(settings, model_factory(settings))

    def analyse(self, job, out: str) -> tuple[str, list[str]]:
        record, violations = self.runner.analyse(job, Path(out))
        return record.model_dump_json(), [v.model_dump_json() for v in violations]


class RayExecutor:
    """An :class:`~helmetscan.runner.batch.Executor` on Ray.

    Args:
        address: a running cluster (``ray start --head`` prints it; ``auto`` finds the local one); ``None`` starts a
            local cluster for the run and stops it afterwards.
        workers: actors to start; default one per CPU of the cluster (each analyses one video at a time).
        model_factory: ``settings -> Models``, called once in each actor (default
            :func:`helmetscan.pipeline.loading.load_models`); must be importable on every node.
        init_kwargs: more arguments for ``ray.init`` (``runtime_env``, ``num_cpus`` of a local cluster).

    Raises:
        ConfigError: Ray is not installed.
    """

    def __init__(self, address: str | None = None, workers: int | None = None, model_factory: Callable | None = None,
                 init_kwargs: dict[str, Any] | None = None):
        self.ray = require_ray()
        self.address = address
        self.workers = workers
        if model_factory is None:
            from helmetscan.pipeline.loading import load_models as model_factory
        self.model_factory = model_factory
        self.init_kwargs = init_kwargs or {}

    def results(self, runner, jobs: list, out: Path, progress) -> Iterator[tuple[Any, VideoRecord,
                                                                                  list[ViolationRecord]]]:
        """Analyse ``jobs`` on the cluster; yield each video's results as it completes (see the module docstring)."""
        if not jobs:
            return
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False, **self.init_kwargs)
        try:
            yield from self._dispatch(ray, runner, jobs, out, progress)
        finally:
            if started_here:
                ray.shutdown()

    def _dispatch(self, ray, runner, jobs: list, out: Path, progress):
        n = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor_class = ray.remote(num_cpus=1)(_Worker)

        def spawn():
            return actor_class.remote(runner.settings, self.model_factory)

        idle = [spawn() for _ in range(min(n, len(jobs)))]
        queue = deque((job, 1) for job in jobs)
        pending: dict[Any, tuple[Any, Any, int]] = {}
        started = 0
        while queue or pending:
            while queue and idle:
                check_free_space(out, runner.settings.evidence.min_free_mb)
                job, attempt = queue.popleft()
                actor = idle.pop()
                pending[actor.analyse.remote(job, str(out))] = (actor, job, attempt)
                if attempt == 1:
                    progress.video_started(job.path, started, len(jobs))
                    started += 1
            [ref], _ = ray.wait(list(pending), num_returns=1)
            actor, job, attempt = pending.pop(ref)
            try:
                record_json, violation_jsons = ray.get(ref)
            except ray.exceptions.RayActorError as exc:  # the worker process is gone, its video unfinished
                ray.kill(actor)
                idle.append(spawn())
                if attempt < MAX_ATTEMPTS:
                    queue.append((job, attempt + 1))
                    continue
                reason = WORKER_LOST % {"path": job.path, "attempts": attempt, "error": type(exc).__name__}
                yield job, runner.failed(job, out, reason), []
                continue
            except ray.exceptions.RayTaskError as exc:  # analyse() isolates faults; this is a bug, not the video
                if isinstance(exc.cause, OutputFull):  # OUT filled up: the batch stops, as the local executor's does
                    raise exc.cause from None
                idle.append(actor)
                yield job, runner.failed(job, out, WORKER_ERROR % {"path": job.path, "error": repr(exc.cause)}), []
                continue
            idle.append(actor)
            yield job, VideoRecord.model_validate_json(record_json), [
                ViolationRecord.model_validate_json(v) for v in violation_jsons]
