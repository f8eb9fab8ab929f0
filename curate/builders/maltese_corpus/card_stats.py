"""Card figures for maltese-corpus from the statistics streamed during finalize (`curate.card_stats`).

How many rows are parts of a long text is read from the rows themselves (`id` ends in `#<part>`), not
counted while building: it is an informational figure (nothing was dropped), so it belongs in the
manifest's `statistics`, not in `skipped`, and it always matches the rows that were written.
"""

from __future__ import annotations

from typing import Any

WHOLE, PART = "whole text", "part of a long text"


def measures(config: str) -> dict[str, Any]:
    return {"row_kind": row_kind}


def row_kind(batch: Any) -> Any:
    """`part of a long text` for a row cut from a longer text, else `whole text`. An uncut id ends in its
    `:<offset>` or `:<row>`, a cut one in `#<part>`, so a `#` inside a file name is never mistaken for one."""
    import pyarrow.compute as pc

    cut = pc.match_substring_regex(batch.column("id"), r"#[0-9]+$")
    return pc.if_else(cut, PART, WHOLE)


def context(config: str, stats: dict[str, Any]) -> dict[str, Any]:
    per_split = stats.get("measures", {}).get("row_kind", {}).get("labels", {})
    return {"long_text_parts": sum(counts.get(PART, 0) for counts in per_split.values())}
