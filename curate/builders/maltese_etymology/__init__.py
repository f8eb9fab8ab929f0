"""maltese-etymology: Maltese tokens tagged with their etymology, aligned with the UD_Maltese-MUDT treebank.

Embedded data, no network: MLRS/malti's etymology annotations (MIT) and UD_Maltese-MUDT (CC BY-SA 4.0),
both shipped in `curate/data/`. The annotated sentences are exactly the first 439 of MUDT train; the
builder checks that token for token and fails loudly if the two ever diverge.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import datasets

from curate.builder import BuildContext, Builder, BuilderConfig, Source
from curate.builders.maltese_etymology.options import MalteseEtymologyOptions
from curate.errors import InputFormatError
from curate.formats.conllu import ConlluSentence, read_conllu
from curate.maltese.resources import (
    ANNOTATIONS_TSV,
    MICALLEF_2024_BIBTEX,
    MUDT_DIR,
    MUDT_SPLITS,
    AnnotatedSentence,
    read_annotations,
)

CITATION = MICALLEF_2024_BIBTEX + """@misc{ceplo-2018-mudt,
  title = {{UD\\_Maltese-MUDT}: Maltese Universal Dependencies Treebank},
  author = {{\\v{C}}{\\'e}pl{\\"o}, Slavom{\\'\\i}r},
  year = {2018},
  url = {https://github.com/UniversalDependencies/UD_Maltese-MUDT}
}"""

PIPELINES = ("translit_all", "translit_arabic", "translate_all", "mixed")  # `raw` is `tokens` itself
SPLIT_SEED = 20240408  # fixed: the grouped annotation split must never change between releases
SPLIT_SHARES = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
UD_FIELDS = ("lemmas", "upos", "xpos", "feats", "deprels", "deps", "misc")
UD_COLUMNS = {"lemmas": "lemma", "upos": "upos", "xpos": "xpos", "feats": "feats", "deprels": "deprel",
              "deps": "deps", "misc": "misc"}


def _strings() -> datasets.Sequence:
    return datasets.Sequence(datasets.Value("string"))


def ud_features() -> dict:
    feats = {"sent_id": datasets.Value("string"), "text": datasets.Value("string"), "tokens": _strings()}
    feats.update({f: _strings() for f in UD_FIELDS})
    feats["heads"] = datasets.Sequence(datasets.Value("int32"))
    return feats


def ud_columns(sent: ConlluSentence) -> dict:
    row = {"sent_id": sent.sent_id, "text": sent.text, "tokens": sent.tokens}
    for field, col in UD_COLUMNS.items():
        row[field] = [r[col] for r in sent.rows]
    row["heads"] = [int(r["head"]) if r["head"] != "_" else -1 for r in sent.rows]
    return row


def grouped_split(sentences: list[AnnotatedSentence]) -> dict[int, str]:
    """Sentence index -> split; exact duplicates share a group, so they never straddle splits."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for s in sentences:
        groups.setdefault(s.tokens, []).append(s.index)
    keys = sorted(groups, key=lambda toks: hashlib.sha256("\x1f".join(toks).encode()).hexdigest())
    random.Random(SPLIT_SEED).shuffle(keys)
    total = len(sentences)
    out: dict[int, str] = {}
    filled = {name: 0 for name, _ in SPLIT_SHARES}
    for toks in keys:
        # fill splits in order up to their share; the last split takes the rest
        for name, share in SPLIT_SHARES:
            if name == SPLIT_SHARES[-1][0] or filled[name] + len(groups[toks]) <= round(share * total):
                break
        filled[name] += len(groups[toks])
        for i in groups[toks]:
            out[i] = name
    return out


class MalteseEtymology(Builder):
    name = "maltese-etymology"
    version = "1.0.0"
    description = (
        "Maltese text tagged word by word with etymology (Arabic, Non-Arabic, Code-Switching, Name, Symbol), "
        "aligned with the UD_Maltese-MUDT treebank."
    )
    homepage = "https://github.com/MLRS/malti"
    citation = CITATION
    license = "cc-by-sa-4.0"  # token text is MUDT's (CC BY-SA 4.0); the MLRS annotations are MIT
    languages = ("mt",)
    task_categories = ("token-classification",)
    configs = [
        BuilderConfig("annotations", "one row per annotated sentence: gold etymology labels and the MUDT annotation"),
        BuilderConfig("mudt", "UD_Maltese-MUDT, one row per sentence with every CoNLL-U column, own splits"),
    ]
    splits = ("train", "validation", "test")
    sources = [
        Source("etymology annotations", path="curate/data/maltese/etymology_data/annotations.tsv", license="MIT",
               sha256="814a30c846e2cea48f2760bcf66fd30f0a2cbf08484ca3cd1009e742605f793e",
               url="https://github.com/MLRS/malti/blob/2024.eacl/src/etymology_data/annotations.tsv"),
    ] + [
        Source(f"UD_Maltese-MUDT {split}", path=f"curate/data/ud_maltese/mt_mudt-ud-{split}.conllu",
               license="CC BY-SA 4.0", sha256=sha, url="https://github.com/UniversalDependencies/UD_Maltese-MUDT")
        for split, sha in (("train", "d93df4a04bb95651ece7dba1248c4c82cb88362c0a78a03003cecfabe913010d"),
                           ("dev", "a3e806469dc89ccd4fea2a9760a3103ad6da531fcb3c86dd5d6b167be09f3ae8"),
                           ("test", "1ac7f440f795ef85860c0767e760f72631733fd46e4e33fb5d9b166e9abd52d4"))
    ]
    id_field = "sent_id"
    Options = MalteseEtymologyOptions

    def features(self, config: BuilderConfig) -> datasets.Features:
        feats = ud_features()
        if config.name == "annotations":
            feats = {"index": datasets.Value("int32"), **feats, "etymology_fine": _strings(),
                     "etymology": _strings()}
        else:
            feats.update({"etymology": _strings(), "etymology_prob": datasets.Sequence(datasets.Value("float32")),
                          "etymology_gold": datasets.Value("bool")})
            feats.update({f"tokens_{p}": _strings() for p in PIPELINES})
        return datasets.Features(feats)

    def _paths(self, ctx: BuildContext) -> tuple[Path, Path]:
        if ctx.sample:
            return self.sample_dir() / "annotations.tsv", self.sample_dir()
        return ANNOTATIONS_TSV, MUDT_DIR

    def work_units(self, ctx: BuildContext) -> list[str]:
        return ["annotations"] if ctx.config.name == "annotations" else list(MUDT_SPLITS)

    def generate(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, str, dict]]:
        for split, row in self._rows(unit, ctx):
            yield ctx.config.name, split, row

    def _rows(self, unit: str, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        annotations_path, mudt_dir = self._paths(ctx)
        if unit == "annotations":
            yield from self._annotations(annotations_path, mudt_dir / MUDT_SPLITS["train"])
            return
        yield from self._mudt(unit, mudt_dir, annotations_path, ctx)

    def _mudt(self, split: str, mudt_dir: Path, annotations_path: Path, ctx: BuildContext) -> Iterator[tuple[str, dict]]:
        from curate.maltese.transforms.etymology import EtymologyTagger
        from curate.maltese.transforms.pipelines import ConditionalPipeline

        sentences = list(read_conllu(mudt_dir / MUDT_SPLITS[split]))
        tagged = EtymologyTagger(ctx.options.etymology_model).tag_sentences([s.tokens for s in sentences])
        gold: dict[str, tuple[str, ...]] = {}
        if ctx.options.gold_etymology and split == "train":
            # the annotated sentences are the first MUDT train sentences, in order (checked in _annotations)
            gold = {s.sent_id: a.merged for s, a in zip(sentences, read_annotations(annotations_path), strict=False)
                    if tuple(s.tokens) == a.tokens}
        pipes = [ConditionalPipeline(p, translate_to=ctx.options.translate_to) for p in PIPELINES]
        for sent, (labels, probs) in zip(sentences, tagged, strict=True):
            row = ud_columns(sent)
            if sent.sent_id in gold:
                labels, probs = list(gold[sent.sent_id]), [1.0] * len(labels)
                ctx.skip("predictions_replaced_by_gold_sentences")
            row.update({"etymology": labels, "etymology_prob": probs, "etymology_gold": sent.sent_id in gold})
            for pipe in pipes:
                row[f"tokens_{pipe.preset}"] = pipe.apply_tokens(sent.tokens, labels)
            yield split, row

    def card_context(self, config: BuilderConfig, tables: dict) -> dict:
        import polars as pl

        out: dict = {"tokens": {}}
        labels = None
        for split, table in tables.items():
            frame = pl.from_arrow(table)
            out["tokens"][split] = int(frame["tokens"].list.len().sum())
            if "etymology" in frame.columns:
                counts = frame.select(pl.col("etymology").explode()).group_by("etymology").len()
                labels = counts if labels is None else pl.concat([labels, counts])
        if config.name == "mudt":
            out["pipelines"] = list(PIPELINES)
        if labels is not None:
            totals = labels.group_by("etymology").agg(pl.col("len").sum()).sort(["len", "etymology"], descending=True)
            out["labels"] = dict(zip(totals["etymology"].to_list(), totals["len"].to_list(), strict=True))
            out["label_total"] = sum(out["labels"].values())
            out["label_source"] = "gold" if config.name == "annotations" else "predicted by the default tagger"
        return out

    def _annotations(self, tsv: Path, mudt_train: Path) -> Iterator[tuple[str, dict]]:
        sentences = read_annotations(tsv)
        treebank = read_conllu(mudt_train)
        split_of = grouped_split(sentences)
        for ann in sentences:
            sent = next(treebank, None)
            if sent is None or tuple(sent.tokens) != ann.tokens:
                raise InputFormatError(tsv, None, f"annotated sentence {ann.index} does not match MUDT train sentence "
                                                  f"{ann.index + 1} of {mudt_train} token for token")
            row = {"index": ann.index, **ud_columns(sent), "etymology_fine": list(ann.fine),
                   "etymology": list(ann.merged)}
            yield split_of[ann.index], row
