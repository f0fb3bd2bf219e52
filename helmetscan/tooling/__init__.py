"""Model tooling, never imported by the runtime pipeline, run as ``helmetscan`` commands (the tooling panel of
``helmetscan --help``, :mod:`helmetscan.cli.tooling`) from a source checkout: ``dataset`` + ``pseudo_labels`` (build
the 4-class set), ``train``, ``evaluate`` (per-class metrics), ``quantize`` (INT8 copies), ``violation_check`` and
``person_check`` (whole pipelines judged against labels), ``head_crops``, ``head_train``, ``head_eval`` (the head
classifier), ``benchmark`` (speed per stage), ``docs`` (the README's generated tables), and the plate reader's:
``plate_render``, ``plate_crops``, ``plate_sets``, ``plate_network``, ``plate_train_data``, ``plate_train``,
``plate_reader_weights``, ``plate_eval``, ``plate_tracks``, ``plate_region_dataset``."""
