"""The batch runner: ``discovery`` (find and key videos), ``dashcam`` (a file's recording time, channel and
vehicle), ``gps`` (NMEA / exiftool tracks, the place at a moment), ``batch`` (one video at a time through the
analyzer in recording order, what is done skipped, failures isolated, results written and reports refreshed after each
video, progress through a callback; the local executor) and ``ray_executor`` (the batch on a Ray cluster)."""
