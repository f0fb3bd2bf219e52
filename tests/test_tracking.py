from helmetscan.config import TrackingSettings
from helmetscan.pipeline.riders import RiddenMotorcycle
from helmetscan.pipeline.tracking import RiderTracker


def moving(x, conf=0.8):
    return RiddenMotorcycle((float(x), 100.0, float(x) + 80.0, 300.0), conf)


def test_one_rider_keeps_one_track_id_and_reset_restarts_ids():
    tracker = RiderTracker(TrackingSettings(), fps=5)
    ids = []
    for step in range(10):
        out = tracker.update([moving(100 + 8 * step), moving(500 - 8 * step)], (480, 640))
        ids.append(sorted(t.track_id for t in out))
    assert ids[-1] == [1, 2] and all(i == [1, 2] for i in ids[1:])
    # the tracker hands back the detection it matched, untouched
    out = tracker.update([moving(180, conf=0.77)], (480, 640))
    assert [(t.track_id, t.rider.confidence) for t in out] == [(1, 0.77)]
    tracker.reset()
    tracker.update([moving(300)], (480, 640))
    assert [t.track_id for t in tracker.update([moving(305)], (480, 640))] == [1]


def test_track_buffer_follows_the_sampling_rate():
    assert RiderTracker(TrackingSettings(lost_track_buffer_s=2.0), fps=5).track_buffer_frames == 10
    assert RiderTracker(TrackingSettings(lost_track_buffer_s=2.0), fps=15).track_buffer_frames == 30


def test_a_rider_lost_for_less_than_the_buffer_keeps_the_id():
    tracker = RiderTracker(TrackingSettings(lost_track_buffer_s=1.0), fps=5)  # 5 frames
    for step in range(4):
        tracker.update([moving(100 + 5 * step)], (480, 640))
    for _ in range(3):  # occluded for 3 sampled frames
        tracker.update([], (480, 640))
    out = tracker.update([moving(135)], (480, 640))
    assert [t.track_id for t in out] == [1]
