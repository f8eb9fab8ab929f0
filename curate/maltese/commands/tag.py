"""curate tag — tag raw Maltese text (files or stdin) with etymology labels, one `token<TAB>label` per line.

Streams: lines are read, split, tokenised and tagged in windows of `--window-tokens` tokens, and each
window's output is written before the next is read, so memory is flat whatever the input size and
output starts while input is still coming (on a terminal every line is tagged as soon as it is typed).
Bad input: empty lines give no output; control characters are replaced by spaces (counted on stderr);
very long tokens and non-Maltese or mixed-script text are tagged like any other token (the model sees
at most its first and last characters); a line that is not UTF-8 or longer than `--max-line-bytes`
stops the run with an error naming the file and line, after everything before it was written
(`--skip-bad-lines` skips such lines instead and counts them).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterator

# C0/C1 control characters except tab/newline/carriage return (whitespace to the tokeniser anyway)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def register(sub: argparse._SubParsersAction) -> None:
    from curate.checks import at_least

    p = sub.add_parser("tag", help="tag raw Maltese text with etymology labels")
    p.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 text files (default: stdin); one or more sentences per line")
    p.add_argument("--model", default=None, help="model folder or hub id (default: the shipped model)")
    p.add_argument("--batch-tokens", type=at_least(1), default=8192, help="padded tokens per batch")
    p.add_argument("--window-tokens", type=at_least(1), default=65_536,
                   help="tokens read ahead and tagged together (output order = input order)")
    p.add_argument("--format", choices=["tsv", "jsonl"], default="tsv")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--threads", type=at_least(1), default=None, help="CPU threads (default: all cores)")
    p.add_argument("--no-split", action="store_true", help="treat each line as one sentence")
    p.add_argument("--max-line-bytes", type=at_least(1), default=64 * 1024 * 1024, help="longest line accepted")
    p.add_argument("--skip-bad-lines", action="store_true",
                   help="skip lines that are not UTF-8 or too long (counted on stderr) instead of failing")
    p.set_defaults(func=run)


class _EncodedLines:
    """A text stream without `.buffer` (a test's StringIO) read as UTF-8 bytes."""

    def __init__(self, stream):
        self.stream = stream

    def readline(self, limit: int = -1) -> bytes:
        return self.stream.readline().encode("utf-8", "surrogateescape")


def _stdin_bytes():
    return getattr(sys.stdin, "buffer", None) or _EncodedLines(sys.stdin)


def read_lines(source: str, max_bytes: int, skip_bad: bool, counts: Counter) -> Iterator[str]:
    """Decoded lines of one file ('-' = stdin); undecodable or overlong lines fail naming file:line."""
    from curate.errors import CurateError, InputFormatError

    try:
        f = _stdin_bytes() if source == "-" else open(source, "rb")
    except OSError as exc:
        raise CurateError(f"cannot read {source}: {exc.strerror}") from exc
    name = "<stdin>" if source == "-" else source
    try:
        lineno = 0
        while True:
            try:
                raw = f.readline(max_bytes + 1)
            except OSError as exc:  # a directory, a vanished file
                raise CurateError(f"cannot read {name}: {exc.strerror}") from exc
            if not raw:
                return
            lineno += 1
            problem = None
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                problem = f"line longer than {max_bytes:,} bytes (--max-line-bytes)"
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                    raw = f.readline(max_bytes + 1)
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problem = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line)"
            if problem is not None:
                if not skip_bad:
                    raise InputFormatError(name, lineno, problem)
                counts["bad_lines_skipped"] += 1
                counts.setdefault("first_bad_line", f"{name}:{lineno}: {problem}")
                continue
            text, n = _CONTROL.subn(" ", text)
            counts["control_characters_replaced"] += n
            yield text
    finally:
        if source != "-":
            f.close()


def _sentences(args: argparse.Namespace, counts: Counter) -> Iterator[list[str]]:
    from curate.maltese.etymology.tokenize import split_sentences, tokenize

    for source in args.files or ["-"]:
        for line in read_lines(source, args.max_line_bytes, args.skip_bad_lines, counts):
            for sentence in [line.strip()] if args.no_split else split_sentences(line):
                tokens = tokenize(sentence)
                if tokens:
                    yield tokens


def run(args: argparse.Namespace) -> int:
    import json

    from curate.maltese.etymology.inference import EtymologyEngine

    engine = EtymologyEngine.from_pretrained(args.model, device=args.device, batch_tokens=args.batch_tokens,
                                             threads=args.threads)
    interactive = not args.files and sys.stdin.isatty()
    window = 1 if interactive else max(1, args.window_tokens)
    out = sys.stdout
    counts: Counter = Counter()
    try:
        for tokens, labels, probs in engine.tag_stream(_sentences(args, counts), window_tokens=window):
            if args.format == "jsonl":
                record = {"tokens": tokens, "etymology": labels, "etymology_prob": [round(p, 4) for p in probs]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                out.write("".join(f"{t}\t{label}\n" for t, label in zip(tokens, labels)) + "\n")
            if interactive:
                out.flush()
    finally:
        out.flush()  # everything tagged before an error is written
        notes = {k: v for k, v in counts.items() if v}
        if engine.long_sentences_cut:
            notes["long_sentences_tagged_in_pieces"] = engine.long_sentences_cut
        if notes:
            print("curate tag: " + "; ".join(f"{k}: {v}" for k, v in sorted(notes.items())), file=sys.stderr)
    return 0
