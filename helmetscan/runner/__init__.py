"""The batch runner (``batch``): inputs found and keyed (``discovery``), one video at a time through the analyzer,
failures isolated, results written and reports refreshed after each video, progress through a callback."""
