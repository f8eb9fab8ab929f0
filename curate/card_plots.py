"""Small PNG plots for the card, drawn from the streamed statistics (`curate.card_stats`), never from the data.

Per config with at least `MIN_ROWS` rows, one `images/<config>.png`: length distributions of up to three
columns (one line per split) above the most frequent values of up to three label columns. Matplotlib's Agg
backend with its bundled font and no `Software`/date metadata: the same statistics give the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

MAX_PANELS = 3  # per row: lengths on top, labels below
TOP_VALUES = 12
MIN_ROWS = 20  # a distribution of fewer rows is not worth a picture (and each PNG costs ~0.3 s to draw)


def render_plots(config: str, stats: dict[str, Any]) -> dict[str, bytes]:
    """{file name under images/: PNG bytes} for one config: nothing for a config with few rows or no figures."""
    if sum(stats.get("rows", {}).values()) < MIN_ROWS:
        return {}
    # texts (words) before lists (items); label columns with the fewest distinct values first
    lengths = sorted(stats.get("lengths", {}).items(), key=lambda kv: kv[1]["unit"] != "words")[:MAX_PANELS]
    labels = sorted(stats.get("labels", {}).items(),
                    key=lambda kv: (len({v for c in kv[1].values() for v in c}), kv[0]))[:MAX_PANELS]
    rows = [(p, _draw_lengths) for p in [lengths] if p] + [(p, _draw_labels) for p in [labels] if p]
    return {f"{config}.png": _figure(config, rows)} if rows else {}


def _figure(config: str, rows: list[tuple[list[tuple[str, Any]], Any]]) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.size": 8, "font.family": "DejaVu Sans", "path.simplify": False}):
        fig = Figure(figsize=(3.4 * MAX_PANELS, 2.4 * len(rows) + 0.3), dpi=80)  # no pyplot: no global state
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(len(rows), MAX_PANELS, left=0.1, right=0.98, bottom=0.1, top=0.9, wspace=0.5,
                                hspace=0.6)
        for r, (panels, draw) in enumerate(rows):
            for c, (column, data) in enumerate(panels):
                draw(fig.add_subplot(grid[r, c]), column, data)
        fig.suptitle(config)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})  # no version string: same bytes
    return buffer.getvalue()


def _draw_lengths(ax: Any, column: str, data: dict[str, Any]) -> None:
    for split, summary in data["splits"].items():
        edges, hist = summary["edges"], summary["hist"]
        total = sum(hist) or 1
        ax.stairs([h / total for h in hist], edges, label=f"{split} (median {summary['median']:g})")
    ax.set_title(f"{column}: {data['unit']}")
    ax.set_ylabel("share of rows")
    ax.legend(fontsize=6)


def _draw_labels(ax: Any, column: str, data: dict[str, dict[str, int]]) -> None:
    totals: dict[str, int] = {}
    for counts in data.values():
        for value, n in counts.items():
            totals[value] = totals.get(value, 0) + n
    top = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_VALUES]
    names = [v if len(v) <= 18 else v[:17] + "…" for v, _ in top][::-1]
    ax.barh(range(len(top)), [n for _, n in top][::-1])
    ax.set_yticks(range(len(top)), names)
    more = len(totals) - len(top)
    ax.set_title(f"{column}" + (f" (top {len(top)} of {len(totals)})" if more > 0 else ""))
    ax.set_xlabel("count, all splits")


def write_plots(out_dir: Path, images: dict[str, bytes]) -> None:
    """Replace `DIR/images/` with exactly these files (atomic per file; stale plots removed)."""
    from curate.io import atomic_write

    folder = Path(out_dir) / "images"
    if not images and not folder.is_dir():
        return
    folder.mkdir(exist_ok=True)
    for name, data in sorted(images.items()):
        atomic_write(folder / name, data)
    for old in folder.glob("*.png"):
        if old.name not in images:
            old.unlink()
