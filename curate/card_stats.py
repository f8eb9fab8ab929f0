"""Card statistics collected batch by batch, in bounded memory, while finalize writes the shards.

A datatrove-style block: `update(split, batch)` over the stream, `result()` gives named, JSON-able figures that
depend only on the records (same data, same bytes). Per split and column:

- `lengths`: whitespace words of a string column, items of a list column: exact counts of each length
  (memory grows with the longest row, not with the row count), summarised as count/sum/mean/median/min/max
  and a 20-bin histogram;
- `labels`: value counts of string, integer and boolean columns and of lists of strings, kept while a column
  has at most `MAX_LABELS` distinct values (more: the column is free text or ids, and its counter is dropped);
- `measures`: per-row figures a builder declares in its `card_stats.py` (`measures(config)`: name → function
  of a record batch returning one number or string per row, or a list per row): numbers get the length
  summary, strings the label counts (up to `MAX_MEASURE_LABELS` values).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

MAX_LABELS = 50
MAX_MEASURE_LABELS = 1000
HIST_BINS = 20
SUMMARY_KEYS = ("count", "sum", "mean", "median", "min", "max", "edges", "hist")
SPLIT_ORDER = {"train": 0, "validation": 1, "dev": 1, "test": 2}
Measure = Callable[[Any], Any]  # pyarrow RecordBatch -> pyarrow Array (one value, or one list, per row)


def split_rank(split: str) -> tuple[int, str]:
    """train, validation (or dev), test, then any other split by name: the order cards list splits in."""
    return SPLIT_ORDER.get(split, 3), split


class ConfigStats:
    """Statistics of one config of a build, fed with every record batch of every split."""

    def __init__(self, measures: dict[str, Measure] | None = None):
        self.measures = dict(measures or {})
        self.rows: dict[str, int] = {}
        self.lengths: dict[str, dict[str, Counter]] = {}  # column -> split -> Counter(length -> rows)
        self.units: dict[str, str] = {}
        self.labels: dict[str, dict[str, Counter]] = {}  # column -> split -> Counter(value -> count)
        self.too_many: set[str] = set()  # columns whose distinct values passed the cap

    def update(self, split: str, batch: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.rows[split] = self.rows.get(split, 0) + batch.num_rows
        for field, column in zip(batch.schema, batch.columns, strict=True):
            kind = field.type
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                self._count_lengths(field.name, split, word_counts(column), "words")
                self._count_labels(field.name, split, column, MAX_LABELS)
            elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
                self._count_lengths(field.name, split, pc.list_value_length(column), "items")
                inner = kind.value_type
                if pa.types.is_string(inner) or pa.types.is_large_string(inner):
                    self._count_labels(field.name, split, pc.list_flatten(column), MAX_LABELS)
            elif pa.types.is_integer(kind) or pa.types.is_boolean(kind):
                self._count_labels(field.name, split, column, MAX_LABELS)
        for name, measure in self.measures.items():
            values = measure(batch)
            if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
                values = pc.list_flatten(values)
            if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                self._count_labels(f"measure:{name}", split, values, MAX_MEASURE_LABELS)
            else:  # numbers: rounded so that the counter stays small and the result exact to print
                if pa.types.is_floating(values.type):
                    values = pc.round(values, 3)
                self._count_lengths(f"measure:{name}", split, values, "value")

    def _count_lengths(self, column: str, split: str, values: Any, unit: str) -> None:
        import pyarrow.compute as pc

        counts = pc.value_counts(values.drop_null() if hasattr(values, "drop_null") else values)
        target = self.lengths.setdefault(column, {}).setdefault(split, Counter())
        self.units[column] = unit
        for value, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True):
            if value is not None:
                target[value] += n

    def _count_labels(self, column: str, split: str, values: Any, cap: int) -> None:
        import pyarrow.compute as pc

        if column in self.too_many:
            return
        counts = pc.value_counts(values)
        target = self.labels.setdefault(column, {}).setdefault(split, Counter())
        for value, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True):
            target["" if value is None else str(value)] += n
        if len({v for c in self.labels[column].values() for v in c}) > cap:
            self.too_many.add(column)
            del self.labels[column]

    def _is_label(self, column: str) -> bool:
        """Few distinct values (≤ MAX_LABELS) of at most three words, each seen twice on average, more than
        one: ids and free text are not labels even in a sample small enough to have few distinct values."""
        if column in self.too_many or column not in self.labels:
            return False
        if self.units.get(column) == "words" and max(sum(self.lengths[column].values(), Counter()), default=0) > 3:
            return False  # sentences are text even when a sample repeats a few of them
        counts = sum(self.labels[column].values(), Counter())
        return 2 <= len(counts) <= sum(counts.values()) / 2

    def result(self) -> dict[str, Any]:
        """JSON-able, sorted, exact: `rows`, `lengths`, `labels`, `measures` (see the module docstring)."""
        # splits in card order (train, validation, test), whatever order they were fed in
        out: dict[str, Any] = {"rows": dict(sorted(self.rows.items(), key=lambda kv: split_rank(kv[0]))),
                               "lengths": {}, "labels": {}, "measures": {}}
        seen: set[tuple] = set()
        for column, per_split in self.lengths.items():
            shape = (self.units[column], tuple((s, tuple(sorted(c.items()))) for s, c in per_split.items()))
            if shape in seen and not column.startswith("measure:"):
                continue  # parallel lists (tokens, lemmas, upos …) have the same lengths: shown once
            seen.add(shape)
            name, target = _target(column, out, "lengths")
            everything = sum(per_split.values(), Counter())
            # a string column that is one word in every row (ids, dates, codes) has no length worth showing
            if not everything or (self.units[column] == "words" and max(everything) <= 1):
                continue
            if self.units[column] != "value" and self._is_label(column):
                continue  # a label column, shown as counts
            edges = _edges(min(everything), max(everything))
            target[name] = {"unit": self.units[column], "splits": {
                split: _summary(per_split[split], edges) for split in out["rows"] if per_split.get(split)}}
        for column, per_split in self.labels.items():
            name, target = _target(column, out, "labels")
            if not column.startswith("measure:") and not self._is_label(column):
                continue
            target[name] = {split: dict(per_split[split]) for split in out["rows"] if split in per_split}
        return canonical(out)


def word_counts(column: Any) -> Any:
    """Whitespace words per row, as `str.split()` counts them (Unicode whitespace, like eurlex's old polars
    `\\S+` count; pyarrow's RE2 `\\S` is ASCII-only). pyarrow, not polars: finalize runs in the parent of
    forked workers, and a process that has started polars' thread pool can deadlock its forked children."""
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(column)
    words = pc.list_value_length(pc.utf8_split_whitespace(trimmed))
    return pc.if_else(pc.equal(trimmed, ""), 0, words)  # "" splits into [""]: no word


def canonical(stats: dict[str, Any]) -> dict[str, Any]:
    """One order for a result, also for one read back from a manifest written with sorted keys: columns and
    measures by name, splits train/validation/test, label values by count then value. Cards and plots
    drawn from it are then the same bytes whichever way the statistics arrived."""
    def splits(d: dict[str, Any], inner: Any = lambda v: v) -> dict[str, Any]:
        return {k: inner(d[k]) for k in sorted(d, key=split_rank)}

    def counts(d: dict[str, int]) -> dict[str, int]:
        return dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary(d: dict[str, Any]) -> dict[str, Any]:
        return {k: d[k] for k in SUMMARY_KEYS}

    def distribution(d: dict[str, Any]) -> dict[str, Any]:
        return {"unit": d["unit"], "splits": splits(d["splits"], summary)}

    def lengths(d: dict[str, Any]) -> dict[str, Any]:
        return {c: distribution(d[c]) for c in sorted(d)}

    def labels(d: dict[str, Any]) -> dict[str, Any]:
        return {c: splits(d[c], counts) for c in sorted(d)}

    measures = {}
    for name in sorted(stats.get("measures", {})):
        m = stats["measures"][name]
        measures[name] = {**({"lengths": distribution(m["lengths"])} if "lengths" in m else {}),
                          **({"labels": splits(m["labels"], counts)} if "labels" in m else {})}
    return {"rows": splits(stats.get("rows", {})), "lengths": lengths(stats.get("lengths", {})),
            "labels": labels(stats.get("labels", {})), "measures": measures}


def _target(column: str, out: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    if column.startswith("measure:"):
        name = column.split(":", 1)[1]
        return kind, out["measures"].setdefault(name, {})
    return column, out[kind]


def _edges(lo: float, hi: float) -> list[float]:
    """HIST_BINS bins over [lo, hi]; whole-number widths when the values are whole numbers."""
    if all(float(x).is_integer() for x in (lo, hi)):
        width = max(1, math.ceil((hi - lo + 1) / HIST_BINS))
        return [lo + i * width for i in range(math.ceil((hi - lo + 1) / width) + 1)]
    width = (hi - lo) / HIST_BINS or 1.0
    return [round(lo + i * width, 6) for i in range(HIST_BINS + 1)]


def _summary(counter: Counter, edges: list[float]) -> dict[str, Any]:
    import bisect

    count = sum(counter.values())
    total = sum(v * n for v, n in sorted(counter.items()))  # one order: float sums do not depend on batching
    values = sorted(counter)
    hist = [0] * (len(edges) - 1)
    for v in values:
        hist[min(len(hist) - 1, bisect.bisect_right(edges, v) - 1)] += counter[v]
    return {"count": count, "sum": _num(total), "mean": round(total / count, 3), "median": _median(counter, count),
            "min": _num(values[0]), "max": _num(values[-1]), "edges": [_num(e) for e in edges], "hist": hist}


def _median(counter: Counter, count: int) -> float:
    """The median as statistics.median gives it (mean of the two middle values for an even count)."""
    middle = [(count - 1) // 2, count // 2]
    found, seen = [], 0
    for v in sorted(counter):
        seen += counter[v]
        while len(found) < 2 and middle[len(found)] < seen:
            found.append(v)
    return round((found[0] + found[1]) / 2, 3)


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def card_module(builder: Any) -> Any:
    """`card_stats.py` beside the builder (`curate/builders/<name>/card_stats.py`), or None.

    It may define `measures(config_name) -> {name: Measure}` and `context(config_name, statistics) -> dict`
    (the builder's extra figures for its card template, computed from `ConfigStats.result()`)."""
    import importlib
    import importlib.util
    import sys

    module = type(builder).__module__
    package = module if hasattr(sys.modules.get(module), "__path__") else module.rpartition(".")[0]
    if not package:
        return None
    try:
        found = importlib.util.find_spec(f"{package}.card_stats")
    except ModuleNotFoundError:
        return None
    return importlib.import_module(f"{package}.card_stats") if found else None


def for_config(builder: Any, config: Any) -> ConfigStats:
    """The accumulator for one config: generic figures plus the measures of the builder's card module."""
    module = card_module(builder)
    return ConfigStats(module.measures(config.name) if module and hasattr(module, "measures") else None)
