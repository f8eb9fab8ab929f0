"""Do the tagger's GPU labels (fp16 / bf16 autocast) agree with its CPU fp32 labels?

    python scripts/check_gpu_labels.py [--model DIR] [--corpus-tokens 300000] [--json-out PATH]

Tags every MUDT sentence (train+dev+test, 44,162 tokens) and the first `--corpus-tokens` tokens of the
synthetic Zipf corpus (`corpus_synth.py`: mostly types outside the translation tables) once on the CPU in
fp32 (the reference) and once per autocast dtype on CUDA, and prints the share of identical labels and
the largest difference of the winning label's probability. Needs a CUDA device.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--corpus-tokens", type=int, default=300_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-corpus"))
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--device", default="cuda", help="device compared with CPU fp32 (cpu only checks this script)")
    args = parser.parse_args()

    import torch
    from corpus_synth import make_corpus

    from curate.formats.conllu import read_conllu
    from curate.maltese.etymology.inference import EtymologyEngine
    from curate.maltese.resources import MUDT_DIR, MUDT_SPLITS

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this check compares GPU labels with CPU labels")
    make_corpus(args.workdir / "corpus", max(args.corpus_tokens, 1_000_000))
    corpus, n = [], 0
    with (args.workdir / "corpus" / "tokens.txt").open(encoding="utf-8") as f:
        for line in f:
            corpus.append(line.split())
            n += len(corpus[-1])
            if n >= args.corpus_tokens:
                break
    inputs = {"mudt": [s.tokens for f in MUDT_SPLITS.values() for s in read_conllu(MUDT_DIR / f)], "synthetic": corpus}
    result: dict = {"device_name": torch.cuda.get_device_name(0) if args.device == "cuda" else args.device}
    for name, sentences in inputs.items():
        start = time.perf_counter()
        reference = EtymologyEngine.from_pretrained(args.model, device="cpu").tag(sentences)
        result[name] = {"tokens": sum(map(len, sentences)), "cpu_fp32_seconds": round(time.perf_counter() - start, 2)}
        for dtype in ("float16", "bfloat16"):
            tagged = EtymologyEngine.from_pretrained(args.model, device=args.device, amp_dtype=dtype).tag(sentences)
            same = total = 0
            worst = 0.0
            for (ref_labels, ref_probs), (labels, probs) in zip(reference, tagged, strict=True):
                same += sum(a == b for a, b in zip(ref_labels, labels))
                total += len(labels)
                worst = max([worst] + [abs(p - q) for a, b, p, q in zip(ref_labels, labels, ref_probs, probs) if a == b])
            result[name][dtype] = {"labels_identical": round(same / total, 6), "labels_different": total - same,
                                   "max_prob_diff_same_label": round(worst, 5)}
        print(name, json.dumps(result[name]), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
