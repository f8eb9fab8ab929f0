"""maltese-corpus: a Maltese corpus (Korpus Malti or any text folder) tagged with etymology and turned into
the conditional transliteration/translation variants of Micallef et al. (EACL 2024), one column each.

One config, every variant a column of the same row, aligned token for token with `tokens`: Hub users
load the variant they train on with `load_dataset(..., columns=["tokens_translit_arabic"])` (Parquet reads
only that column), and the variants can never drift apart, which separate configs would allow.
Input: `--manual-dir` (Korpus Malti as published on the Hub, or any folder of .txt/.jsonl/.parquet;
layouts in `sources.py`) or `--sample` (518 real MUDT sentences shipped beside this file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets

from curate.builder import BuildContext, Builder, BuilderConfig, Source
from curate.builders.maltese_corpus.options import MalteseCorpusOptions
from curate.builders.maltese_corpus.process import PIPELINES, CorpusProcessor
from curate.builders.maltese_corpus.sources import Reader, Unit, discover, safe_relpath, split_of, units_of
from curate.errors import ManualDownloadError
from curate.maltese.resources import MICALLEF_2024_BIBTEX

CITATION = MICALLEF_2024_BIBTEX + """@inproceedings{micallef-etal-2022-pre,
  title = {Pre-training Data Quality and Quantity for a Low-Resource Language: New Corpus and {BERT} Models for {M}altese},
  author = {Micallef, Kurt and Gatt, Albert and Tanti, Marc and van der Plas, Lonneke and Borg, Claudia},
  booktitle = {Proceedings of the Third Workshop on Deep Learning for Low-Resource Natural Language Processing},
  year = {2022},
  url = {https://aclanthology.org/2022.deeplo-1.10}
}"""

INSTRUCTIONS = """Download Korpus Malti (CC BY-NC-SA 4.0; accept its terms on the Hub first):
    huggingface-cli download MLRS/korpus_malti --repo-type dataset --include 'data/shuffled/*' --local-dir DIR
then build with --manual-dir DIR (the folder that contains data/shuffled/). Any other folder of .txt (one
text per line), .jsonl (field --text-field, a string or a list of sentences) or .parquet files works too."""


class MalteseCorpus(Builder):
    name = "maltese-corpus"
    version = "1.0.0"
    description = (
        "Maltese text tokenised MUDT style, tagged word by word with etymology (with probabilities), and "
        "rewritten by the etymology-conditioned pipelines: transliterate all / Arabic-origin words only to "
        "Arabic script, translate word by word, or mix."
    )
    homepage = "https://huggingface.co/datasets/MLRS/korpus_malti"
    citation = CITATION
    license = "cc-by-nc-sa-4.0"  # Korpus Malti's; a --manual-dir of other text carries its own licence
    languages = ("mt",)
    task_categories = ("fill-mask", "text-generation", "token-classification")
    configs = [BuilderConfig("default", "one row per text (or per part of a long text), every pipeline a column")]
    splits = ("train", "validation", "test")
    sources = [
        Source("Korpus Malti (shuffled, v3/v4 layouts)", url="https://huggingface.co/datasets/MLRS/korpus_malti",
               manual=True, license="CC BY-NC-SA 4.0", description="via --manual-dir; any text folder works too"),
        Source("sample: UD_Maltese-MUDT test sentences", path="curate/builders/maltese_corpus/sample/SOURCE.md",
               license="CC BY-SA 4.0", url="https://github.com/UniversalDependencies/UD_Maltese-MUDT",
               description="--sample: the 518 `# text` lines of mt_mudt-ud-test.conllu"),
    ]
    manual_download_instructions = INSTRUCTIONS
    id_field = "id"
    Options = MalteseCorpusOptions

    def features(self, config: BuilderConfig) -> datasets.Features:
        strings = datasets.Sequence(datasets.Value("string"))
        return datasets.Features({
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "tokens": strings,
            "sentence_lengths": datasets.Sequence(datasets.Value("int32")),
            "etymology": strings,
            "etymology_prob": datasets.Sequence(datasets.Value("float32")),
            **{f"tokens_{p}": strings for p in PIPELINES},
        })

    def _root(self, ctx: BuildContext) -> Path:
        if ctx.sample:
            return self.sample_dir()
        if ctx.manual_dir is None:
            raise ManualDownloadError(f"maltese-corpus needs --manual-dir (or --sample).\n{INSTRUCTIONS}")
        if not ctx.manual_dir.is_dir():
            raise ManualDownloadError(f"--manual-dir {ctx.manual_dir} is not a folder.\n{INSTRUCTIONS}")
        return ctx.manual_dir

    def work_units(self, ctx: BuildContext) -> list[str]:
        root = self._root(ctx)
        files = discover(root)
        if not files:
            raise ManualDownloadError(f"no .txt, .jsonl or .parquet files under {root}.\n{INSTRUCTIONS}")
        slice_bytes = ctx.options.slice_mb << 20
        return [u.id() for f in files for u in units_of(root, f, slice_bytes, ctx.options.text_field)]

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        for split, row in self._rows(unit, ctx):
            yield ctx.config.name, split, row

    def _rows(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        opts = ctx.options
        where = Unit.parse(unit)
        safe_relpath(where.path)
        reader = Reader(self._root(ctx), opts.text_field, opts.max_line_mb << 20, ctx.skip)
        processor = _processor(opts)
        processor.take_counts()
        split = split_of(where.path)
        try:
            for row in processor.rows(reader.read(where)):
                yield split, row
        finally:
            # also when the consumer stops early (close() raises GeneratorExit at the yield): the rows
            # already yielded keep their counts, and none carry over into the next unit of this process
            for name, n in processor.take_counts().items():
                if name != "tokens":
                    ctx.count(name, n)  # tokens kept untranslated: reported, nothing was left out


_PROCESSORS: dict[tuple, CorpusProcessor] = {}


def _processor(opts: MalteseCorpusOptions) -> CorpusProcessor:
    """One per process and settings: its type caches carry over from unit to unit."""
    key = (opts.etymology_model, opts.translate_to, opts.tagger_threads)
    if key not in _PROCESSORS:
        _PROCESSORS.clear()
        _PROCESSORS[key] = CorpusProcessor(opts.etymology_model, opts.translate_to, opts.tagger_threads or None)
    return _PROCESSORS[key]
