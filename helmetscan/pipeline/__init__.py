"""The analysis of one video, stage by stage, in data-flow order:

``sampling`` (frames at a set rate) → ``riders`` (stage-1 boxes → riders) → ``tracking`` (ByteTrack track IDs) →
``verification`` + ``association`` (stage 2 on the rider crop; whose head is whose) → ``decision`` (one verdict per
track) → ``plate_stage`` (locate, ``plate_image`` tighten/upscale, recognise, ``plate_text`` normalise/format/fuse).
``analyzer`` runs the frame loop over them; ``timing`` times every stage. Nothing here writes files.
"""
