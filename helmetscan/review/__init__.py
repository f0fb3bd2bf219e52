"""``helmetscan review OUT``: a local web page where an analyst plays each violation's clip excerpt, confirms or rejects
it and corrects its plate. Decisions go to the results database (:mod:`helmetscan.results.reviews`) and into the
reports; evidence files are served read-only and never changed."""
