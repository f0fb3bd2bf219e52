"""Motorcycle tracking: one explicit ultralytics ByteTrack instance per video, on ridden-motorcycle boxes (the
motorcycle with its people)."""

from __future__ import annotations

from argparse import Namespace
from dataclasses import dataclass

import numpy as np

from helmetscan.config import TrackingSettings
from helmetscan.pipeline.riders import RiddenMotorcycle


@dataclass(frozen=True)
class TrackedRider:
    """A ridden motorcycle with its track ID. ``xyxy``: the tracker's (Kalman-smoothed) box, frame pixels; ``rider``: the matched
    detection of this frame."""

    track_id: int
    xyxy: tuple[float, float, float, float]
    rider: RiddenMotorcycle


class RiderTracker:
    """ByteTrack over rider detections, sampled at ``fps`` frames per second.

    ultralytics counts ``track_buffer`` in processed frames (its trackers assume 30 fps video); here it is
    derived from ``lost_track_buffer_s`` and the *sampling* rate so that a lost rider is kept for the same time at any fps.
    """

    def __init__(self, settings: TrackingSettings, fps: float):
        from ultralytics.trackers.byte_tracker import BYTETracker

        self.track_buffer_frames = max(1, round(settings.lost_track_buffer_s * fps))
        args = Namespace(
            tracker_type="bytetrack",
            track_high_thresh=settings.track_high_thresh,
            track_low_thresh=settings.track_low_thresh,
            new_track_thresh=settings.new_track_thresh,
            track_buffer=self.track_buffer_frames,
            match_thresh=settings.match_thresh,
            fuse_score=settings.fuse_score,
        )
        self._tracker = BYTETracker(args)

    def reset(self) -> None:
        """Forget all tracks and restart IDs at 1 (call between videos)."""
        self._tracker.reset()
        self._tracker.reset_id()

    def update(self, riders: list[RiddenMotorcycle], image_shape: tuple[int, int]) -> list[TrackedRider]:
        """Advance the tracker by one sampled frame.

        Args:
            riders: this frame's ridden motorcycles.
            image_shape: ``(height, width)`` of the frame in pixels.

        Returns:
            The confirmed tracks present in this frame, each with the detection it was matched to.
        """
        from ultralytics.engine.results import Boxes

        data = np.array([[*r.xyxy, r.confidence, 0.0] for r in riders], dtype=np.float32).reshape(-1, 6)
        out = self._tracker.update(Boxes(data, image_shape).numpy())
        tracked = []
        for row in out:
            x1, y1, x2, y2, track_id, _score, _cls, idx = row[:8]
            tracked.append(TrackedRider(int(track_id), (float(x1), float(y1), float(x2), float(y2)), riders[int(idx)]))
        return tracked
