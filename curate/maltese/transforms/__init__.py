"""The Maltese transforms; import them from `curate.transforms` (`EtymologyTagger`, `Transliterator`,
`ConditionalPipeline`, `PIPELINE_PRESETS`), which loads each lazily."""
