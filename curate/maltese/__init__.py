"""The Maltese wing, under one roof and behind the `maltese` extra (torch, transformers).

| `resources.py` | shipped tables and labels (MLRS/malti, MIT; UD_Maltese-MUDT, CC BY-SA 4.0) |
| `etymology/` | the etymology tagger: model, training, cross-validation, batched inference |
| `transliteration/` | Maltese->Arabic transliteration (pure Python: works without the extra) |
| `transforms/` | `EtymologyTagger`, `Transliterator`, `ConditionalPipeline` (also exported by `curate.transforms`) |
| `commands/` | `curate tag`, `curate etymology`, `curate transliterate` (discovered by `curate.cli`) |

Without the extra, whatever needs torch stops with `curate.errors.MissingExtraError` naming
`pip install 'curate[maltese]'` (`curate.extras`)."""
