
import pytest

from helmetscan.core.errors import VideoError
from helmetscan.pipeline.sampling import DecodeStats, iter_sampled_frames, open_video, sample_times
from helmetscan.runner.discovery import find_videos

from conftest import write_video


@pytest.mark.parametrize(
    ("timestamps", "fps", "expected"),
    [
        ([i / 30 for i in range(31)], 5, [0, 6, 12, 18, 24, 30]),
        ([i / 25 for i in range(26)], 5, [0, 5, 10, 15, 20, 25]),
        ([i / 29.97 for i in range(31)], 10, list(range(0, 31, 3))),
        ([i / 10 for i in range(5)], 30, [0, 1, 2, 3, 4]),  # target above source rate: every frame
        ([0.0, 0.1, 0.2, 1.0, 1.1, 1.2], 5, [0, 2, 3, 5]),  # a gap does not cause a burst
        ([], 5, []),
    ],
)
def test_sample_times(timestamps, fps, expected):
    assert sample_times(timestamps, fps) == expected


def test_sampling_a_generated_video_uses_stream_timestamps(tmp_path):
    path = write_video(tmp_path / "clip.avi", n_frames=50, fps=25, fourcc="MJPG")
    cap, info = open_video(path)
    cap.release()
    assert info.fps == pytest.approx(25)
    assert info.frame_count == 50
    assert info.duration_s == pytest.approx(2.0)
    stats = DecodeStats()
    frames = list(iter_sampled_frames(path, 5, stats))
    assert [f.frame_index for f in frames] == list(range(0, 50, 5))
    assert [f.timestamp_s for f in frames] == pytest.approx([i * 0.2 for i in range(10)], abs=1e-3)
    assert (stats.frames_decoded, stats.frames_sampled) == (50, 10)
    # the kept frame really is frame i: its grey level encodes the index
    assert [int(f.image.mean() + 0.5) for f in frames] == pytest.approx([i * 5 for i in range(0, 50, 5)], abs=3)


def test_not_a_video_raises_one_line_error(tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video\n")
    with pytest.raises(VideoError, match="notes.mp4: cannot open as a video: corrupt"):
        list(iter_sampled_frames(bogus, 5))


def test_find_videos_is_recursive_and_case_insensitive(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "X.MP4").write_bytes(b"")
    (tmp_path / "a" / "y.mov").write_bytes(b"")
    (tmp_path / "a" / "readme.txt").write_text("")
    videos, ignored, left_out = find_videos([tmp_path, tmp_path / "a" / "y.mov"])
    assert left_out == {}
    assert sorted(p.name for p in videos) == ["X.MP4", "y.mov"]  # named twice, listed once
    assert [p.name for p in ignored] == ["readme.txt"]
    with pytest.raises(VideoError, match="no such file"):
        find_videos([tmp_path / "missing.mp4"])
