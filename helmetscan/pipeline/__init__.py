"""The analysis of one video, stage by stage, in data-flow order:

``sampling`` (frames at a set rate) → ``riders`` (stage-1 boxes → ridden motorcycles) → ``tracking`` (ByteTrack track
IDs) → ``helmet_check`` + ``association`` + ``people`` (every head on the motorcycle found, given to its person and
judged) → ``decision`` (one verdict per person, one violation per track) → the plate stage
(:mod:`helmetscan.plates.stage`). ``analyzer`` runs the frame loop over them, ``staging`` runs decoding and stage 1 in
threads, ``timing`` times every stage; ``loading`` builds a run's models. Nothing here writes files.
"""
