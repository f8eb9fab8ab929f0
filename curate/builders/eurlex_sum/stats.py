"""Card statistics for eurlex-sum, computed with polars from the finished splits.

Words are whitespace tokens (`str.split()`), the count used for the published English figures in
`data/english_splits.tsv`; the paper's `final_stats.txt` counted tokens slightly differently.
"""

from __future__ import annotations

from typing import Any

# Published English EUR-Lex-Sum (paper / final_stats.txt): rows per split, mean tokens on train.
PUBLISHED_EN = {"rows": {"train": 1129, "validation": 187, "test": 188},
                "reference_words_mean": 12206, "summary_words_mean": 799, "compression_ratio": 16}


def length_stats(config: str, tables: dict[str, Any]) -> dict[str, Any]:
    """Per split: rows, words per reference and summary (mean, median), compression ratio."""
    import polars as pl

    rows: list[dict[str, Any]] = []
    if config == "aligned":  # no texts to count; the card shows its row counts only
        return {"lengths": rows, "published_en": PUBLISHED_EN}
    for split, table in tables.items():
        if table is None or table.num_rows == 0:
            rows.append({"split": split, "rows": 0 if table is None else table.num_rows})
            continue
        df = pl.from_arrow(table.select(["reference", "summary"]))
        words = _word_counts(df)
        ratio = words["ref"] / words["sum"]
        rows.append({
            "split": split, "rows": df.height,
            "reference_words_mean": round(float(words["ref"].mean()), 1),
            "reference_words_median": float(words["ref"].median()),
            "summary_words_mean": round(float(words["sum"].mean()), 1),
            "summary_words_median": float(words["sum"].median()),
            "compression_ratio_mean": round(float(ratio.mean()), 2),
            "compression_ratio_median": round(float(ratio.median()), 2),
        })
    return {"lengths": rows, "published_en": PUBLISHED_EN}


def _word_counts(df):
    """Whitespace token counts, as Python's str.split() counts them (runs of any whitespace)."""
    import polars as pl

    return df.select(
        pl.col("reference").str.count_matches(r"\S+").alias("ref"),
        pl.col("summary").str.count_matches(r"\S+").alias("sum"),
    )
