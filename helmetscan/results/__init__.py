"""What a run leaves behind: typed, versioned ``records``, ``assemble`` (records from the analyzer's findings), the
``evidence`` folders and SHA256SUMS, ``drawing`` on copies of frames, and the ``report`` (CSV, HTML)."""
