"""`curate transliterate`: one output line per input line, in every mode."""

from __future__ import annotations

from curate.cli import main


def run(capsys, monkeypatch, args, stdin):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(["transliterate", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_deterministic_lines(capsys, monkeypatch):
    rc, out, err = run(capsys, monkeypatch, [], "Il-\nkarozza\n\nx✓y\n?\n")
    assert rc == 0
    assert out.splitlines() == ["Il-\tل-", "karozza\tكردز", "\t", "x✓y\tش✓ي", "?\t؟"]
    assert "unmapped_chars=1" in err


def test_closed_class_and_clitic_marker(capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, ["--closed-class"], "il-\nu\n")
    assert out.splitlines() == ["il-\tال", "u\tو"]
    _, out, _ = run(capsys, monkeypatch, ["--closed-class", "--merge-clitics"], "il-\nu\n")
    assert out.splitlines() == ["il-\tال+", "u\tو+"]


def test_candidates_lines_and_cap_flag(capsys, monkeypatch):
    rc, out, _ = run(capsys, monkeypatch, ["--mode", "candidates", "--max-candidates", "5"], "ta'\nbieb\nħabib\n")
    lines = out.splitlines()
    assert lines[0].startswith("ta'\t5+\t")
    assert lines[1] == "bieb\t1\tباب"
    assert lines[2].startswith("ħabib\t5+\t")
    cands = lines[2].split("\t")[2].split("|")
    assert cands == sorted(cands) and len(cands) == 5
    _, out, _ = run(capsys, monkeypatch, ["--mode", "candidates"], "ta'\n")
    assert out == "ta'\t6\tتاع|تع|ثاع|ثع|طاع|طع\n"


def test_text_mode_and_files(capsys, monkeypatch, tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("Il-karozza ta' Malta.\n\nbieb\n", encoding="utf-8")
    rc, out, _ = run(capsys, monkeypatch, ["--text", "--closed-class", "--merge-clitics", str(f)], "")
    assert rc == 0 and out.splitlines() == ["الكردز تاع ملت .", "", "باب"]


def test_errors(capsys, monkeypatch, tmp_path):
    rc, _, err = run(capsys, monkeypatch, [str(tmp_path / "missing.txt")], "")
    assert rc == 2 and "missing.txt: no such file" in err
    rc, _, err = run(capsys, monkeypatch, ["--mode", "candidates", "--text"], "x\n")
    assert rc == 2 and "--text" in err
