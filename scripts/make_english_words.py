"""Write curate/data/english/english_words.txt: common English words, for the tagger's English pool.

    .venv/bin/pip install wordfreq==3.1.1 && .venv/bin/python scripts/make_english_words.py

One lower-case word per line, most frequent first (ties alphabetical): `wordfreq` 3.1.1's `best` English
list (web, subtitles, news, books, Wikipedia, Reddit, Twitter; data CC BY-SA 4.0), words of 3 or more
ASCII letters with Zipf frequency >= 3 (at least once per million words). The tagger's training reads
the file, not wordfreq, so a model retrains to the same bytes whatever wordfreq version is installed.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "curate" / "data" / "english" / "english_words.txt"
MIN_ZIPF = 3.0
WORD = re.compile(r"[a-z]{3,}")


def main() -> None:
    from importlib.metadata import version

    from wordfreq import get_frequency_dict

    if version("wordfreq") != "3.1.1":
        raise SystemExit(f"wordfreq {version('wordfreq')} installed; the shipped list was made with 3.1.1")

    from curate.io import write_text_atomic

    freqs = get_frequency_dict("en", wordlist="best")
    words = [w for w, f in freqs.items() if WORD.fullmatch(w) and math.log10(f) + 9 >= MIN_ZIPF]
    words.sort(key=lambda w: (-freqs[w], w))
    write_text_atomic(OUT, "\n".join(words) + "\n")
    print(f"wrote {OUT}: {len(words)} words")


if __name__ == "__main__":
    main()
