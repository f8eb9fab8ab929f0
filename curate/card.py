"""Dataset card: Hub YAML metadata generated from the manifest, body rendered from `curate/builders/<builder>/card.md`.

The YAML `configs:` block is written together with the data it points at, so a later push never has
to patch a card (regenerating cards after upload is how other tools lose their `configs`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from curate.builder import Builder
from curate.card_stats import split_rank
from curate.errors import CurateError
from curate.manifest import MANIFEST, Manifest

SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]


def size_category(rows: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if rows < limit:
            return name
    return "n>1B"


def card_metadata(builder: Builder, manifest: Manifest, data_format: str = "arrow",
                  terms: dict[str, Any] | None = None) -> dict[str, Any]:
    """Hub YAML: `configs` pointing at the data files, plus `dataset_info` (features, split sizes).

    `terms` is the card template's own YAML block (`license_name`, `license_link`, `redistribution`).

    `dataset_info` matters beyond the Hub: `datasets.load_dataset(DIR, config)` keys its cache on the
    card's YAML, so without split sizes a rebuilt folder would be served from a stale cache."""
    configs, infos = [], []
    total = 0
    entries = manifest.sorted_configs()
    non_empty = [n for n, e in entries.items() if any(i["rows"] for i in e["splits"].values())]
    preferred = [*(builder.default_configs or ()), *(c.name for c in builder.configs)]
    default = next((n for n in preferred if n in non_empty), non_empty[0] if non_empty else None)
    for name, entry in entries.items():
        data_files, splits = [], []
        for split, info in sorted(entry["splits"].items(), key=lambda kv: split_rank(kv[0])):
            total += info["rows"]
            if info["rows"] == 0:
                continue  # `datasets` refuses a split whose pattern matches no rows
            data_files.append({"split": split, "path": f"{name}/{split}/data-*.{entry.get('format', data_format)}"})
            splits.append({"name": split, "num_bytes": sum(s["bytes"] for s in info["shards"]),
                           "num_examples": info["rows"]})
        if not data_files:
            continue
        item: dict[str, Any] = {"config_name": name, "data_files": data_files}
        if name == default:
            item["default"] = True
        configs.append(item)
        features = builder.features(builder.config(name))
        infos.append({"config_name": name, "features": features._to_yaml_list(), "splits": splits,
                      "dataset_size": sum(x["num_bytes"] for x in splits)})
    meta: dict[str, Any] = {
        "pretty_name": builder.name,
        "license": builder.license or "other",
        **_license_terms(builder, terms or {}),
        "language": list(builder.languages) or None,
        "task_categories": list(builder.task_categories) or None,
        "size_categories": [size_category(total)],
        "tags": ["curate"],
        "configs": configs,
        "dataset_info": infos,
    }
    return {k: v for k, v in meta.items() if v is not None}


def _license_terms(builder: Builder, terms: dict[str, Any]) -> dict[str, Any]:
    """`license: other` needs `license_name` (a slug) and `license_link` on the Hub; `redistribution` says
    why a build must not be shared publicly (`curate push` refuses a public repo for it)."""
    out: dict[str, Any] = {}
    if (builder.license or "other") == "other":
        out["license_name"] = terms.get("license_name") or f"{builder.name}-terms"
        out["license_link"] = terms.get("license_link") or builder.homepage or "README.md"
    if terms.get("redistribution"):
        out["redistribution"] = " ".join(str(terms["redistribution"]).split())
    return out


def card_template(builder: Builder) -> tuple[dict[str, Any], str]:
    """(the template's YAML block, its Jinja body); a template may start with `---` YAML `---`."""
    from curate.hub import split_card

    path = builder.card_template()
    if not path.exists():
        return {}, _DEFAULT_BODY
    return split_card(path.read_text(encoding="utf-8"), path)


def render_card(builder: Builder, manifest: Manifest, statistics: dict[str, dict[str, Any]] | None = None,
                data_format: str = "arrow", contexts: dict[str, dict[str, Any]] | None = None,
                plots: dict[str, list[str]] | None = None) -> str:
    """The card: YAML from the manifest, body from the builder's template with the streamed statistics."""
    import jinja2

    terms, template = card_template(builder)
    meta = card_metadata(builder, manifest, data_format, terms)
    statistics = statistics or {}
    entries = manifest.sorted_configs()
    if contexts is None:
        contexts = {name: _builder_context(builder, name, statistics.get(name, {})) for name in entries}
    stats = {name: dict(sorted(((s, i["rows"]) for s, i in e["splits"].items()), key=lambda kv: split_rank(kv[0])))
             for name, e in entries.items()}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    # a template sees the manifest as JSON (`manifest.configs`, `manifest["sample"]`, unknown keys too), as
    # manifest.json has it: the template language of a builder is not tied to the Python type
    body = env.from_string(template).render(
        builder=builder, manifest=manifest.to_json(), configs=list(entries), stats=stats, extra=contexts,
        stats_table=_stats_table(stats), statistics=statistics, plots=plots or {},
        plots_section=_plots_section(plots or {}),
    )
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n\n{body.strip()}\n"


def _builder_context(builder: Builder, name: str, statistics: dict[str, Any],
                     out_dir: Path | None = None, splits: list[str] | None = None) -> dict[str, Any]:
    """The builder's extra card figures: `context(config, statistics)` of its `card_stats.py`. A builder
    without one that overrides `card_context(config, tables)` gets its splits as pyarrow tables (the old,
    whole-config-in-memory path, kept for builders outside this repository until they move)."""
    from curate.card_stats import card_module

    module = card_module(builder)
    if module is not None and hasattr(module, "context"):
        return module.context(name, statistics)
    if type(builder).card_context is Builder.card_context:
        return {}
    return builder.card_context(builder.config(name), load_tables(out_dir, name, splits or []) if out_dir else {})


def _stats_table(stats: dict[str, dict[str, int]]) -> str:
    splits = sorted({s for v in stats.values() for s in v}, key=split_rank)
    lines = ["| config | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    for name, per in stats.items():
        lines.append(f"| {name} | " + " | ".join(f"{per.get(s, 0):,}" for s in splits) + " |")
    return "\n".join(lines)


def _plots_section(plots: dict[str, list[str]]) -> str:
    lines = [f"![{Path(p).stem}]({p})" for name in plots for p in plots[name]]
    return "\n\n".join(lines)


def load_tables(out_dir: Path, config: str, splits: list[str]) -> dict[str, Any]:
    import pyarrow as pa

    from curate.shards import read_batches

    tables = {}
    for split in splits:
        files = sorted((out_dir / config / split).glob("data-*.arrow"))
        batches = [b for f in files for b in read_batches(f)]
        if batches:
            tables[split] = pa.Table.from_batches(batches)
    return tables


def config_statistics(builder: Builder, name: str, entry: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The config's statistics as finalize recorded them in its manifest entry while writing the shards, or
    (a manifest from before that) streamed from the shards here, batch by batch: never a whole split in memory."""
    from curate.card_stats import canonical, for_config
    from curate.shards import read_batches

    if isinstance(entry.get("statistics"), dict):
        return canonical(entry["statistics"])
    stats = for_config(builder, builder.config(name))
    for split, info in entry["splits"].items():
        for shard in info["shards"]:
            path = Path(out_dir) / shard["path"]
            if path.suffix == ".parquet":
                import pyarrow.parquet as pq

                batches = pq.ParquetFile(str(path)).iter_batches()
            else:
                batches = read_batches(path)
            for batch in batches:
                stats.update(split, batch)
    return stats.result()


def write_card(builder: Builder, manifest: Manifest, out_dir: Path) -> Path:
    """Write `DIR/README.md` and its plots under `DIR/images/`, from statistics, not from the data."""
    from curate.card_plots import render_plots, write_plots
    from curate.io import write_text_atomic

    out_dir = Path(out_dir)
    entries = manifest.sorted_configs()
    statistics = {name: config_statistics(builder, name, e, out_dir) for name, e in entries.items()}
    contexts = {name: _builder_context(builder, name, statistics[name], out_dir, list(e["splits"]))
                for name, e in entries.items()}
    images: dict[str, bytes] = {}
    plots: dict[str, list[str]] = {}
    for name in entries:
        drawn = render_plots(name, statistics[name])
        images.update(drawn)
        plots[name] = [f"images/{file}" for file in drawn]
    write_plots(out_dir, images)
    text = render_card(builder, manifest, statistics, contexts=contexts, plots=plots)
    path = out_dir / "README.md"
    write_text_atomic(path, text)
    return path


def rewrite_card(out_dir: Path, builder: Builder | None = None) -> Path:
    """Write the card of a finished build again from its `manifest.json` (e.g. after the builder's card template
    changed); `InputFormatError` naming the file when that is not a curate manifest. The builder defaults to
    the one the manifest names."""
    out_dir = Path(out_dir)
    manifest = Manifest.load(out_dir)
    if manifest is None:
        raise CurateError(f"{out_dir} is not a finished curate build: {MANIFEST} is missing")
    if builder is None:
        from curate.registry import get_builder

        builder = get_builder(manifest.builder)
    elif builder.name != manifest.builder:
        raise CurateError(f"{out_dir / MANIFEST}: a build of {manifest.builder!r}, not of {builder.name!r}")
    return write_card(builder, manifest, out_dir)


_DEFAULT_BODY = """# {{ builder.name }}

{{ builder.description }}

## Statistics

{{ stats_table }}

{{ plots_section }}

## Licence

{{ builder.license }}

## Citation

```bibtex
{{ builder.citation }}
```
"""
