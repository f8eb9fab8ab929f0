"""The label table (qid, lang, label) as a polars DataFrame, and the joins the recipe needs.

Labels are never looked up entity by entity: a batch of sentences becomes an entity table
(sentence, link, qid) that is joined with the label table once to find each sentence's candidate
languages, and joined again with the chosen (sentence, language) pairs to get every switched text.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

LABEL_SCHEMA = {"qid": pl.String, "lang": pl.String, "label": pl.String}
ENTITY_SCHEMA = {"sent": pl.Int64, "link": pl.Int64, "qid": pl.String}
CHOICE_SCHEMA = {"sent": pl.Int64, "lang": pl.String}


def label_frame(rows: Iterable[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=LABEL_SCHEMA, orient="row")


def for_languages(labels: pl.DataFrame, languages: Iterable[str], mul_fallback: bool = True) -> pl.DataFrame:
    """Labels in `languages`; where an entity has a `mul` label but none of its own in a language,
    the `mul` label stands in (Wikidata has moved shared labels to `mul` since 2024)."""
    langs = pl.DataFrame({"lang": sorted(set(languages))}, schema={"lang": pl.String})
    own = labels.join(langs, on="lang", how="semi").unique(["qid", "lang"], keep="first")
    if not mul_fallback:
        return own.sort("qid", "lang")
    mul = labels.filter(pl.col("lang") == "mul").unique("qid", keep="first").select("qid", "label")
    filled = mul.join(langs, how="cross").join(own, on=["qid", "lang"], how="anti")
    return pl.concat([own, filled.select("qid", "lang", "label")]).sort("qid", "lang")


def candidate_languages(entities: pl.DataFrame, labels: pl.DataFrame) -> dict[int, list[str]]:
    """sentence → languages in which *every* distinct entity of the sentence has a label."""
    ents = entities.select("sent", "qid").unique()
    need = ents.group_by("sent").agg(pl.len().alias("need"))
    have = (ents.join(labels.select("qid", "lang"), on="qid")
            .group_by("sent", "lang").agg(pl.len().alias("have")))
    ok = (have.join(need, on="sent").filter(pl.col("have") == pl.col("need"))
          .group_by("sent").agg(pl.col("lang").sort()))
    return dict(zip(ok["sent"].to_list(), ok["lang"].to_list(), strict=False))


def switched_texts(entities: pl.DataFrame, choices: pl.DataFrame, labels: pl.DataFrame) -> dict[tuple[int, str], dict]:
    """(sentence, language) → {link index: label} for every chosen pair, in one join."""
    rows = (choices.join(entities, on="sent").join(labels, on=["qid", "lang"])
            .sort("sent", "lang", "link"))
    out: dict[tuple[int, str], dict] = {}
    for sent, lang, link, label in rows.select("sent", "lang", "link", "label").iter_rows():
        out.setdefault((sent, lang), {})[link] = label
    return out
