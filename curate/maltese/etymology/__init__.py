"""Maltese etymology tagger: a from-scratch token classifier (or any HF backbone), its trainer,
cross-validation and batched inference engine. Entry points: `curate.transforms.EtymologyTagger`,
`curate.maltese.etymology.inference.EtymologyEngine`, `curate etymology eval|train`, `curate tag`."""
