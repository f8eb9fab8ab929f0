"""Card figures for eurlex-sum from the statistics streamed during finalize (`curate.card_stats`).

Words are whitespace tokens (`str.split()`), the count used for the published English figures in
`data/english_splits.tsv`. The compression ratio is reference words / summary words per row (rounded to
3 decimals while streaming, so its mean and median may differ from an exact computation in the 3rd decimal).
"""

from __future__ import annotations

from typing import Any

from curate.builders.eurlex_sum.stats import PUBLISHED_EN


def measures(config: str) -> dict[str, Any]:
    if config == "aligned":  # no texts to count; the card shows its row counts only
        return {}
    return {"reference_words": lambda b: _words(b, "reference"), "summary_words": lambda b: _words(b, "summary"),
            "compression_ratio": _ratio}


def _words(batch: Any, column: str) -> Any:
    from curate.card_stats import word_counts

    return word_counts(batch.column(column))


def _ratio(batch: Any) -> Any:
    import pyarrow.compute as pc

    ref, summ = pc.cast(_words(batch, "reference"), "float64"), pc.cast(_words(batch, "summary"), "float64")
    return pc.if_else(pc.greater(summ, 0), pc.divide(ref, summ), None)  # an empty summary has no ratio


def context(config: str, stats: dict[str, Any]) -> dict[str, Any]:
    """Per split: rows, words per reference and summary (mean, median), compression ratio (mean, median)."""
    rows: list[dict[str, Any]] = []
    if config == "aligned":
        return {"lengths": rows, "published_en": PUBLISHED_EN}
    measured = {name: m.get("lengths", {}).get("splits", {}) for name, m in stats.get("measures", {}).items()}
    ratio = measured.get("compression_ratio", {})
    for split, n in stats.get("rows", {}).items():
        ref, summ = measured.get("reference_words", {}).get(split), measured.get("summary_words", {}).get(split)
        if not n or ref is None or summ is None:
            rows.append({"split": split, "rows": n})
            continue
        r = ratio.get(split, {"sum": 0, "count": 1, "median": 0})
        rows.append({
            "split": split, "rows": n,
            "reference_words_mean": round(ref["sum"] / ref["count"], 1), "reference_words_median": float(ref["median"]),
            "summary_words_mean": round(summ["sum"] / summ["count"], 1), "summary_words_median": float(summ["median"]),
            "compression_ratio_mean": round(r["sum"] / r["count"], 2), "compression_ratio_median": round(r["median"], 2),
        })
    return {"lengths": rows, "published_en": PUBLISHED_EN}
