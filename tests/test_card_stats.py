"""Card statistics streamed batch by batch (curate/card_stats.py), the plots drawn from them, card metadata."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from curate.card_plots import MIN_ROWS, render_plots
from curate.card_stats import MAX_LABELS, ConfigStats

# where the clef-queries sample reads HC4 (never shipped): absent on a clean CI clone
HC4 = Path(os.environ.get("CURATE_HC4_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "hc4"))
SCHEMA = pa.schema([("id", pa.string()), ("language", pa.string()), ("text", pa.string()),
                    ("tokens", pa.list_(pa.string())), ("labels", pa.list_(pa.string())), ("relevance", pa.int32())])


def _rows(n: int) -> list[dict]:
    return [{"id": f"doc-{i}", "language": ["mt", "en", "it"][i % 3], "text": " ".join(["kelma"] * (1 + i % 7)),
             "tokens": [f"t{i}-{j}" for j in range(i % 5)], "labels": ["Arabic", "Name"][: 1 + i % 2],
             "relevance": i % 2} for i in range(n)]


def _feed(rows: list[dict], batch_size: int, split: str = "train", stats: ConfigStats | None = None) -> ConfigStats:
    stats = stats or ConfigStats()
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    for batch in table.to_batches(max_chunksize=batch_size):
        stats.update(split, batch)
    return stats


def test_statistics_do_not_depend_on_batching_and_are_exact():
    rows = _rows(101)
    one = _feed(rows, 1000).result()
    many = _feed(rows, 7).result()
    assert json.dumps(one) == json.dumps(many)  # same records, same bytes, however finalize batches them
    words = [len(r["text"].split()) for r in rows]
    text = one["lengths"]["text"]["splits"]["train"]
    assert (text["count"], text["sum"], text["min"], text["max"]) == (101, sum(words), 1, 7)
    assert text["median"] == statistics.median(words) and text["mean"] == round(statistics.mean(words), 3)
    assert sum(text["hist"]) == 101 and len(text["edges"]) == len(text["hist"]) + 1
    assert one["lengths"]["tokens"]["unit"] == "items"
    assert one["labels"]["language"]["train"] == {"en": 34, "mt": 34, "it": 33}  # by count, then value
    assert one["labels"]["labels"]["train"] == {"Arabic": 101, "Name": 50}
    assert one["labels"]["relevance"]["train"] == {"0": 51, "1": 50}
    assert "id" not in one["labels"] and "id" not in one["lengths"]  # ids: neither labels nor lengths
    assert "language" not in one["lengths"]  # a label column is shown as counts, not lengths


def test_even_count_median_and_split_order():
    stats = _feed(_rows(4), 2, "test")
    _feed(_rows(2), 2, "train", stats)
    out = stats.result()
    assert list(out["rows"]) == ["train", "test"]  # card order, not feeding order
    assert out["lengths"]["text"]["splits"]["test"]["median"] == statistics.median([1, 2, 3, 4])


def test_high_cardinality_columns_drop_their_counter():
    stats = ConfigStats()
    rows = [{**r, "language": f"lang{i}"} for i, r in enumerate(_rows(2 * MAX_LABELS + 10))]
    _feed(rows, 16, stats=stats)
    assert "language" in stats.too_many and "language" not in stats.labels  # memory stays bounded
    assert "language" not in stats.result()["labels"]


def test_builder_measures_numbers_and_labels():
    import pyarrow.compute as pc

    stats = ConfigStats({"tokens": lambda b: pc.list_value_length(b.column("tokens")),
                         "ratio": lambda b: pc.divide(pc.cast(b.column("relevance"), "float64"), 3.0),
                         "pair": lambda b: pc.binary_join_element_wise(b.column("language"), b.column("id"), "|")})
    rows = _rows(30)
    out = _feed(rows, 8, stats=stats).result()["measures"]
    assert out["tokens"]["lengths"]["splits"]["train"]["sum"] == sum(i % 5 for i in range(30))
    assert out["ratio"]["lengths"]["splits"]["train"]["max"] == 0.333  # floats are kept to 3 decimals
    assert len(out["pair"]["labels"]["train"]) == 30  # measures keep up to MAX_MEASURE_LABELS values


def test_plots_are_small_deterministic_pngs():
    stats = _feed(_rows(MIN_ROWS + 5), 10).result()
    first, second = render_plots("cfg", stats), render_plots("cfg", stats)
    assert list(first) == ["cfg.png"] and first == second
    png = first["cfg.png"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 200_000
    assert b"matplotlib" not in png.lower() and b"Software" not in png  # no version string in the file
    assert render_plots("tiny", _feed(_rows(MIN_ROWS - 1), 10).result()) == {}


@pytest.fixture(scope="module")
def clef_build(tmp_path_factory) -> Path:
    from curate.cli import main as curate_main

    out = tmp_path_factory.mktemp("clef") / "build"
    assert curate_main(["build", "clef-queries", "--sample", "--out", str(out)]) == 0
    return out


def test_clef_card_metadata_statistics_and_plots(clef_build):
    from curate.card import config_statistics
    from curate.registry import get_builder

    card = (clef_build / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["license"] == "other" and meta["license_name"] == "clef-elra-e0008-and-hc4-unlicensed"
    assert meta["license_link"].startswith("https://") and "ELRA" in meta["redistribution"]
    manifest = json.loads((clef_build / "manifest.json").read_text())
    # train, dev, test: the build's order, not the alphabet (without the HC4 test copy, as on a clean CI clone,
    # only the CLEF `test` split has rows, and empty splits stay out of the card)
    for config in meta["configs"]:
        rows = {s: i["rows"] for s, i in manifest["configs"][config["config_name"]]["splits"].items()}
        assert [d["split"] for d in config["data_files"]] == [s for s in ("train", "dev", "test") if rows.get(s)]
    assert any(len(config["data_files"]) == 3 for config in meta["configs"]) or not HC4.exists()
    # the aligned table has a language in every row (a topic counts once per language it has)
    aligned = card[card.index("### `aligned`"):card.index("### `qrels`")]
    table = [line.split("|") for line in aligned.splitlines() if line.startswith("| test |")]
    assert table and all(cells[3].strip() for cells in table)
    assert "| test | clef2000 | en | 2 |" in aligned
    # plots: referenced from the card, present, and drawn from the statistics finalize recorded
    shown = sorted(line[line.index("(") + 1:-1] for line in card.splitlines() if line.startswith("!["))
    plotted = [f"images/{c}.png" for c, e in sorted(manifest["configs"].items())
               if sum(i["rows"] for i in e["splits"].values()) >= MIN_ROWS]
    assert shown == plotted and (len(shown) == 3 or not HC4.exists())
    assert all((clef_build / p).read_bytes().startswith(b"\x89PNG") for p in shown)
    builder = get_builder("clef-queries")
    for name, entry in manifest["configs"].items():
        assert "statistics" in entry  # collected while finalize streamed the batches into shards
        recorded = config_statistics(builder, name, entry, clef_build)
        streamed = config_statistics(builder, name, {k: v for k, v in entry.items() if k != "statistics"}, clef_build)
        assert json.dumps(recorded) == json.dumps(streamed)
    # the card rewritten from the manifest read back (sorted keys, configs in name order) is the card the build
    # wrote from its manifest in memory (configs in the builder's order: topics, qrels, aligned), plots included
    from curate.card import rewrite_card, write_card
    from curate.manifest import Manifest

    assert [c.name for c in builder.configs] != sorted(manifest["configs"])  # else the order is not tested here
    before = {p: p.read_bytes() for p in [clef_build / "README.md", *(clef_build / "images").iterdir()]}
    write_card(builder, Manifest.read(clef_build / "manifest.json"), clef_build)
    assert {p: p.read_bytes() for p in before} == before
    rewrite_card(clef_build)  # the builder the manifest names
    assert {p: p.read_bytes() for p in before} == before


def test_clef_build_is_refused_for_a_public_push(clef_build):
    from curate.errors import CurateError
    from curate.hub import push

    with pytest.raises(CurateError, match="must not be shared publicly .*ELRA"):
        push(clef_build, "me/clef", dry_run=True)
    assert push(clef_build, "me/clef", dry_run=True, private=True, say=lambda s: None) is None
