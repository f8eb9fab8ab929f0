"""Progress of a long step (listing, fetching, work units, finalize, push): a tqdm bar with counts and rate
on a terminal, plain timestamped lines otherwise (logs of Slurm jobs, CI, `2> build.log`), nothing with
`--no-progress`.

    with Progress("work units", total=len(jobs), unit="unit", mode=opts.progress) as bar:
        bar.update(1, rows=1234)

A line log prints when a step starts, at most every `interval` seconds while it runs, and when it ends:

    curate: work units 0/6 ...
    curate: work units 4/6 (67%) 2.0 unit/s rows=812 [0:00:02]
    curate: work units 6/6 done in 0:00:03 (2.0 unit/s) rows=1,026
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

MODES = ("bar", "lines", "off")


def resolve_mode(mode: bool | str | None, stream: TextIO | None = None) -> str:
    """`True`/None: a bar on a terminal, lines otherwise; `False`: off; or one of MODES."""
    if mode is False:
        return "off"
    if mode in MODES:
        return str(mode)
    stream = stream or sys.stderr
    return "bar" if getattr(stream, "isatty", lambda: False)() else "lines"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _fmt(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


class Progress:
    def __init__(self, desc: str, total: int | None = None, unit: str = "item", mode: bool | str | None = None,
                 stream: TextIO | None = None, interval: float = 10.0):
        self.desc, self.total, self.unit = desc, total, unit
        self.stream = stream or sys.stderr
        self.mode = resolve_mode(mode, self.stream)
        self.interval = interval
        self.n = 0
        self.postfix: dict[str, Any] = {}
        self.start = self._last = time.monotonic()
        self._bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, file=self.stream, leave=True, dynamic_ncols=True)
        elif self.mode == "lines":
            self._line(f"{self._count()} ...")

    def _count(self) -> str:
        return f"{self.n:,}/{self.total:,}" if self.total is not None else f"{self.n:,}"

    def _line(self, text: str) -> None:
        self.stream.write(f"curate: {self.desc} {text}\n")
        self.stream.flush()

    def _rate(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        return f"{self.n / elapsed:,.1f} {self.unit}/s"

    def _extra(self) -> str:
        return "".join(f" {k}={_fmt(v)}" for k, v in self.postfix.items())

    def update(self, n: int = 1, **postfix: Any) -> None:
        self.n += n
        self.postfix.update(postfix)
        if self._bar is not None:
            self._bar.update(n)
            if postfix:
                self._bar.set_postfix({k: _fmt(v) for k, v in self.postfix.items()}, refresh=False)
        elif self.mode == "lines" and time.monotonic() - self._last >= self.interval:
            self._last = time.monotonic()
            pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
            self._line(f"{self._count()}{pct} {self._rate()}{self._extra()} "
                       f"[{_clock(time.monotonic() - self.start)}]")

    def close(self, failed: bool = False) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "lines":
            self.mode = "closed"
            self._line(f"{self._count()} {'stopped after' if failed else 'done in'} "
                       f"{_clock(time.monotonic() - self.start)} ({self._rate()}){self._extra()}")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.close(failed=exc_type is not None)
