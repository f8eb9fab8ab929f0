"""Progress off a terminal is plain lines per step (listing, work units, finalize); the end-of-build summary
names rows per split, skips by reason and where the card is; --no-progress is silent."""

from __future__ import annotations

import io
import re

from curate.cli import main
from curate.progress import Progress, resolve_mode


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_log_off_a_terminal():
    out = io.StringIO()
    with Progress("work units", total=4, unit="unit", stream=out, interval=0) as p:
        p.update(1, rows=10)
        p.update(3, rows=1234)
    lines = out.getvalue().splitlines()
    assert lines[0] == "curate: work units 0/4 ..."
    assert re.fullmatch(r"curate: work units 1/4 \(25%\) [\d,.]+ unit/s rows=10 \[0:00:00\]", lines[1])
    assert re.fullmatch(r"curate: work units 4/4 done in 0:00:00 \([\d,.]+ unit/s\) rows=1,234", lines[-1])
    assert "\r" not in out.getvalue()


def test_modes():
    assert resolve_mode(None, io.StringIO()) == "lines" and resolve_mode(True, _Tty()) == "bar"
    assert resolve_mode(False, _Tty()) == "off"
    silent = io.StringIO()
    with Progress("x", total=2, mode=False, stream=silent) as p:
        p.update(2)
    assert silent.getvalue() == ""
    tty = _Tty()
    with Progress("fetching", total=3, unit="file", stream=tty) as p:
        p.update(3)
    assert "fetching: 100%" in tty.getvalue() and "3/3" in tty.getvalue()  # tqdm's bar, counts and rate


def test_build_without_terminal_logs_each_step_and_summarises(slow_env, capsys):
    out = slow_env / "out"
    assert main(["build", "test-slow-counting", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    err = captured.err
    assert "curate: listing work units 1/1 done in" in err and "units=6" in err
    assert re.search(r"curate: work units 6/6 done in \S+ \([\d,.]+ unit/s\) rows=1,026", err)
    assert re.search(r"curate: finalize 1/1 done in \S+ \([\d,.]+ config/s\) rows=1,026", err)
    assert "\r" not in err
    said = captured.out
    assert "default: train=822, test=204; skipped: multiple_of_seven=174" in said
    assert f"card: {out / 'README.md'}; manifest: {out / 'manifest.json'}" in said
    assert main(["build", "test-slow-counting", "--out", str(slow_env / "quiet"), "--no-progress"]) == 0
    assert "curate:" not in capsys.readouterr().err


def test_a_failed_step_says_stopped_not_done():
    out = io.StringIO()
    try:
        with Progress("downloading", total=3, unit="file", stream=out) as p:
            p.update(1)
            raise OSError("network down")
    except OSError:
        pass
    assert out.getvalue().splitlines()[-1].startswith("curate: downloading 1/3 stopped after 0:00:00")
