"""Exception types. Every message names the file or value at fault and what was expected; the CLI prints it as one line."""


class HelmetscanError(Exception):
    """Base class of all expected faults (bad input, missing weights, bad configuration)."""


class ConfigError(HelmetscanError):
    """A configuration file or option is invalid."""


class WeightsError(HelmetscanError):
    """A weight file is missing, has the wrong SHA-256, or cannot be loaded."""


class VideoError(HelmetscanError):
    """An input file cannot be opened or decoded as a video."""


class ResultsError(HelmetscanError):
    """Stored results (record.json, video.json) are missing or unreadable."""


class OutputUnavailable(HelmetscanError):
    """The output folder cannot take results right now, through no fault of an input: it is full, or another run is
    writing into it. The batch stops before or between videos; nothing written is lost, and a re-run resumes."""


class OutputFull(OutputUnavailable):
    """The output folder's file system is (nearly) full."""


class OutputBusy(OutputUnavailable):
    """Another ``helmetscan analyze`` holds the output folder."""
