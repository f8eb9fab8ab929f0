"""curate transliterate — Maltese→Arabic script, one output line per input line.

Token mode (default) reads one token per line: `token<TAB>output` (deterministic, ranked) or
`token<TAB>n<TAB>cand1|cand2|…` (candidates, code point order; `n` is written `N+` when the cap
was reached and only N candidates are shown). `--text` reads running text and writes the
transliterated text. A summary of counters (lexicon hits, unmapped characters, capped tokens) goes
to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from curate.errors import InputFormatError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transliterate", help="transliterate Maltese tokens or text to Arabic script")
    p.add_argument("files", nargs="*", metavar="FILE", help="input files (default: stdin)")
    p.add_argument("--mode", choices=("deterministic", "candidates", "ranked"), default="deterministic")
    p.add_argument("--closed-class", action="store_true", help="look tokens up in the closed-class lexicons first")
    p.add_argument("--merge-clitics", action="store_true",
                   help="token mode: keep the clitic `+` marker; --text: join a clitic to the next word")
    p.add_argument("--max-candidates", type=int, default=1000, metavar="N",
                   help="cap on candidates per token (default 1000)")
    p.add_argument("--unmapped", choices=("pass", "token"), default="pass",
                   help="characters no table maps: pass them through (default) or keep the whole token (reference)")
    p.add_argument("--text", action="store_true", help="read running text instead of one token per line")
    p.set_defaults(func=run)


def _lines(files: list[str]) -> Iterator[tuple[str, int, str]]:
    if not files:
        for i, line in enumerate(sys.stdin, start=1):
            yield "<stdin>", i, line
        return
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise InputFormatError(path, None, "no such file")
        try:
            with path.open(encoding="utf-8") as f:
                for i, line in enumerate(f, start=1):
                    yield name, i, line
        except UnicodeDecodeError as exc:
            raise InputFormatError(path, None, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def run(args: argparse.Namespace) -> int:
    from curate.maltese.etymology.tokenize import tokenize
    from curate.maltese.transliteration import MalteseTransliterator

    if args.max_candidates < 1:
        raise InputFormatError("--max-candidates", None, "must be at least 1")
    if args.text and args.mode == "candidates":
        raise InputFormatError("--text", None, "candidates mode needs one token per line (drop --text)")
    engine = MalteseTransliterator(args.mode, args.closed_class, max_candidates=args.max_candidates,
                                   unmapped=args.unmapped)
    out = sys.stdout
    for _name, _lineno, raw in _lines(args.files):
        line = raw.rstrip("\r\n")
        if args.text:
            out.write(engine.join(tokenize(line), merge_clitics=args.merge_clitics) + "\n")
            continue
        token = line.replace("\t", " ")  # a tab would break the output columns
        if args.mode == "candidates":
            cands, capped = engine.candidate_texts(token, keep_clitic_marker=args.merge_clitics)
            n = f"{len(cands)}+" if capped else str(len(cands))
            out.write(f"{token}\t{n}\t{'|'.join(cands)}\n")
        else:
            res = engine.result(token)
            text = res.output + "+" if args.merge_clitics and res.merges_with_next else res.output
            out.write(f"{token}\t{text}\n")
    summary = ", ".join(f"{k}={v}" for k, v in sorted(engine.stats.items()))
    print(f"curate transliterate: {summary or 'no input'}", file=sys.stderr)
    return 0
