"""Campaign results: read responses into the scoring frame (:mod:`.loading`), compute and store runs
(:mod:`.runs`)."""
