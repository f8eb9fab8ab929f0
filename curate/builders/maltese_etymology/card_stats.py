"""Card figures for maltese-etymology from the statistics streamed during finalize (`curate.card_stats`)."""

from __future__ import annotations

from typing import Any

from curate.builders.maltese_etymology import PIPELINES


def measures(config: str) -> dict[str, Any]:
    return {"tokens": _tokens, "etymology": _etymology}


def _tokens(batch: Any) -> Any:
    import pyarrow.compute as pc

    return pc.list_value_length(batch.column("tokens"))


def _etymology(batch: Any) -> Any:
    import pyarrow as pa

    if "etymology" not in batch.schema.names:
        return pa.array([], pa.string())
    return batch.column("etymology")


def context(config: str, stats: dict[str, Any]) -> dict[str, Any]:
    measured = stats.get("measures", {})
    tokens = measured.get("tokens", {}).get("lengths", {}).get("splits", {})
    out: dict[str, Any] = {"tokens": {split: int(s["sum"]) for split, s in tokens.items()}}
    if config == "mudt":
        out["pipelines"] = list(PIPELINES)
    totals: dict[str, int] = {}
    for counts in measured.get("etymology", {}).get("labels", {}).values():
        for label, n in counts.items():
            totals[label] = totals.get(label, 0) + n
    if totals:
        out["labels"] = dict(sorted(totals.items(), key=lambda kv: (kv[1], kv[0]), reverse=True))
        out["label_total"] = sum(totals.values())
        out["label_source"] = "gold" if config == "annotations" else "predicted by the default tagger"
    return out
