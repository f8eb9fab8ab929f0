"""`curate tag` on bad input and as a stream: labels for what can be tagged, file:line for what cannot."""

import os
import subprocess
import sys
import threading

from curate.cli import main

GOOD = "Il-Gvern ħabbar il-baġit.\n"


def _tsv_tokens(out: str) -> list[list[str]]:
    return [line.split("\t") for line in out.splitlines() if line]


def test_odd_text_is_tagged_token_by_token(tmp_path, capsys):
    text = tmp_path / "odd.txt"
    lines = [
        "", "   ", GOOD.strip(), "x" * 1500 + " u", "The quick brown fox jumps over the lazy dog.",
        "كتاب جديد في مالطا", "Кирилица and Malti: ħ ġ ż", "ctrl\x00char\x1b[31m here\x07", "🙂 😀ħ ﬁ",
    ]
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["tag", str(text)]) == 0
    out, err = capsys.readouterr()
    rows = _tsv_tokens(out)
    assert all(len(r) == 2 and r[1] in {"Arabic", "Non-Arabic", "Symbol", "Name", "Code-Switching"} for r in rows)
    tokens = [r[0] for r in rows]
    assert "x" * 1500 in tokens and "كتاب" in tokens and "Кирилица" in tokens
    assert not any(c in "".join(tokens) for c in "\x00\x1b\x07")
    assert "control_characters_replaced: 3" in err


def test_invalid_utf8_names_file_and_line_after_tagging_what_came_before(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(GOOD.encode() + b"\n" + b"Il-kelb \xff\xfe ta' Marija\n" + GOOD.encode())
    assert main(["tag", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert f"{bad}:3: not UTF-8 text (byte 0xff at byte 9 of the line)" in err and "Traceback" not in err
    assert [r[0] for r in _tsv_tokens(out)] == ["Il-", "Gvern", "ħabbar", "il-", "baġit", "."]

    assert main(["tag", "--skip-bad-lines", str(bad)]) == 0
    out, err = capsys.readouterr()
    assert len(_tsv_tokens(out)) == 12 and "bad_lines_skipped: 1" in err and f"{bad}:3" in err


def test_overlong_line_and_unreadable_files(tmp_path, capsys):
    long = tmp_path / "long.txt"
    long.write_text(GOOD + "kelma " * 100 + "\n" + GOOD, encoding="utf-8")
    assert main(["tag", "--max-line-bytes", "200", str(long)]) == 2
    assert f"{long}:2: line longer than 200 bytes" in capsys.readouterr().err
    assert main(["tag", "--max-line-bytes", "200", "--skip-bad-lines", str(long)]) == 0
    assert len(_tsv_tokens(capsys.readouterr().out)) == 12
    assert main(["tag", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["tag", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_output_starts_before_input_ends():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "curate.cli", "tag", "--window-tokens", "4", "--threads", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
    reader.start()
    for _ in range(50):  # more than one window, stdin still open
        proc.stdin.write(GOOD.encode())
    proc.stdin.flush()
    reader.join(timeout=120)
    try:
        assert got and got[0].startswith(b"Il-\tArabic"), proc.stderr.read1() if not got else got
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0
