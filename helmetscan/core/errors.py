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
