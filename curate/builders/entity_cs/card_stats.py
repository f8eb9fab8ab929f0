"""Card figures for entity-cs from the statistics streamed during finalize (`curate.card_stats`)."""

from __future__ import annotations

from typing import Any


def measures(config: str) -> dict[str, Any]:
    return {"entity_qid": _entity_qid}


def _entity_qid(batch: Any) -> Any:
    """One label per entity: whether it has a Wikidata item (a non-empty `qid`)."""
    import pyarrow.compute as pc

    qid = pc.list_flatten(batch.column("entities")).field("qid")
    has = pc.not_equal(pc.fill_null(qid, ""), "")
    return pc.if_else(has, "with", "without")


def context(config: str, stats: dict[str, Any]) -> dict[str, Any]:
    counts = stats.get("measures", {}).get("entity_qid", {}).get("labels", {}).get("train", {})
    with_qid = counts.get("with", 0)
    # in a switched sentence every entity with a QID carries its label in the target language
    return {"sentences": stats.get("rows", {}).get("train", 0), "entities": with_qid + counts.get("without", 0),
            "entities_with_qid": with_qid, "switched_entities": with_qid if config != "en" else 0}
