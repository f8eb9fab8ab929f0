"""The `aligned` config: one row per (collection, topic) with every language version side by side.

Versions are a list of structs rather than one column per language: the language set differs between
collections (CLEF has de/fi/it/ru..., HC4 fa/ru/zh, MT adds any target) and a topic can have several
versions in one language (human translation and one or more MT systems), which fixed columns cannot hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

ORIGIN_RANK = {"original": 0, "human_translation": 1, "machine_translation": 2}
VERSION_FIELDS = ("language", "language_iso3", "origin", "mt_system", "title", "description", "narrative")
COLLECTION_RANK = {"clef2000": 0, "clef2001": 1, "clef2002": 2, "clef2003": 3, "hc4": 4}


def aligned_features():
    import datasets

    s = datasets.Value("string")
    return datasets.Features({"topic_id": s, "collection": s, "languages": datasets.List(s),
                              "versions": datasets.List({k: s for k in VERSION_FIELDS})})


def _topic_sort_key(topic_id: str) -> tuple:
    digits = "".join(ch for ch in topic_id if ch.isdigit())
    return (int(digits) if digits else -1, topic_id)


def aligned_rows(rows: Iterable[tuple[str, dict]]) -> Iterator[tuple[str, dict]]:
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for split, rec in rows:
        groups.setdefault((split, rec["collection"], rec["topic_id"]), []).append(rec)
    order = sorted(groups, key=lambda k: (COLLECTION_RANK.get(k[1], 99), k[1], k[0], _topic_sort_key(k[2])))
    for split, collection, topic_id in order:
        versions = sorted(({k: rec[k] for k in VERSION_FIELDS} for rec in groups[(split, collection, topic_id)]),
                          key=lambda v: (v["language"], ORIGIN_RANK.get(v["origin"], 9), v["mt_system"] or ""))
        yield split, {"topic_id": topic_id, "collection": collection,
                      "languages": sorted({v["language"] for v in versions}), "versions": versions}
