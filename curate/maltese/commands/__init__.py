"""The Maltese commands (`curate tag`, `curate etymology`, `curate transliterate`): one module each, exposing
`register(subparsers)`, discovered by `curate.cli` beside `curate.commands`."""
