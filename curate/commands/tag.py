"""curate tag — tag raw Maltese text (files or stdin) with etymology labels, one `token<TAB>label` per line."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tag", help="tag raw Maltese text with etymology labels")
    p.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 text files (default: stdin); one or more sentences per line")
    p.add_argument("--model", default=None, help="model folder or hub id (default: the shipped model)")
    p.add_argument("--batch-tokens", type=int, default=8192, help="padded tokens per batch")
    p.add_argument("--format", choices=["tsv", "jsonl"], default="tsv")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--no-split", action="store_true", help="treat each line as one sentence")
    p.set_defaults(func=run)


def _sentences(args: argparse.Namespace):
    from curate.errors import CurateError, InputFormatError
    from curate.etymology.tokenize import split_sentences, tokenize

    for source in args.files or ["-"]:
        try:
            f = sys.stdin if source == "-" else open(source, encoding="utf-8")
        except OSError as exc:
            raise CurateError(f"cannot read {source}: {exc.strerror}") from exc
        lineno = 0
        try:
            for lineno, line in enumerate(f, start=1):  # noqa: B007 (lineno is reported on decode errors)
                for sentence in [line.strip()] if args.no_split else split_sentences(line):
                    yield tokenize(sentence)
        except UnicodeDecodeError as exc:
            raise InputFormatError(source, lineno + 1, f"not UTF-8 text ({exc.reason})") from exc
        finally:
            if f is not sys.stdin:
                f.close()


def run(args: argparse.Namespace) -> int:
    import json

    from curate.etymology.inference import EtymologyEngine

    engine = EtymologyEngine.from_pretrained(args.model, device=args.device, batch_tokens=args.batch_tokens)
    out = sys.stdout
    sentences = (s for s in _sentences(args) if s)
    window: list[list[str]] = []

    def flush() -> None:
        for tokens, (labels, probs) in zip(window, engine.tag(window)):
            if args.format == "jsonl":
                record = {"tokens": tokens, "etymology": labels, "etymology_prob": [round(p, 4) for p in probs]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                out.write("".join(f"{t}\t{label}\n" for t, label in zip(tokens, labels)) + "\n")
        window.clear()

    for sentence in sentences:  # bounded memory: tag in windows of sentences, output in input order
        window.append(sentence)
        if len(window) >= 2048:
            flush()
    flush()
    return 0
