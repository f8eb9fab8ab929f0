"""Card figures for clef-queries from the statistics streamed during finalize (`curate.card_stats`).

Rows by split, collection and language: `language` for topics, `doc_language` for qrels, and for `aligned`
(one row per topic) each language in the topic's `languages`, so a topic counts once per language it has.
"""

from __future__ import annotations

from typing import Any


def measures(config: str) -> dict[str, Any]:
    return {"collection_language": _collection_language}


def _collection_language(batch: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    names = batch.schema.names
    collection = batch.column("collection")
    if "languages" in names:  # aligned: a list of languages per topic
        languages = batch.column("languages")
        parents = pc.list_parent_indices(languages)
        keys = pc.binary_join_element_wise(pc.take(collection, parents), pc.list_flatten(languages), "\t")
        return pa.ListArray.from_arrays(languages.offsets, keys)
    column = "doc_language" if "doc_language" in names else ("language" if "language" in names else None)
    language = batch.column(column) if column else pa.array([""] * batch.num_rows)
    return pc.binary_join_element_wise(collection, language, "\t")


def context(config: str, stats: dict[str, Any]) -> dict[str, Any]:
    counts = stats.get("measures", {}).get("collection_language", {}).get("labels", {})
    rows = []
    for split, per in counts.items():
        for key, n in per.items():
            collection, _, language = key.partition("\t")
            rows.append({"split": split, "collection": collection, "language": language, "rows": n})
    return {"counts_by_collection_language": sorted(rows, key=lambda r: (r["split"], r["collection"], r["language"]))}
