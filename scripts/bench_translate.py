"""Tokens/s of Seq2SeqTranslator: length-batched generation versus one query at a time, same model, same run.

    python scripts/bench_translate.py --device cpu --random-model base --texts 64 --max-new-tokens 32
    python scripts/bench_translate.py --device cuda --model facebook/nllb-200-distilled-600M --target ky

Queries are HC4's English titles + descriptions from ../shared/data/hc4 when present (local copy, never
shipped), otherwise the English topics of the bundled CLEF sample. `--random-model` builds a randomly
initialised Marian model (no download; "base" has Marian-base dimensions) so the plumbing and the batching
speed-up can be measured offline; its translations are meaningless and it usually runs to max-new-tokens.
The translation cache is bypassed: both runs generate every token.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SIZES = {"tiny": dict(d_model=16, layers=1, heads=2, ffn=32), "base": dict(d_model=512, layers=6, heads=8, ffn=2048)}


def load_queries(n: int) -> list[str]:
    hc4 = REPO.parent / "shared" / "data" / "hc4"
    texts: list[str] = []
    if hc4.is_dir():
        for split in ("test", "dev", "train"):
            for line in (hc4 / f"{split}.topics.v1-0.jsonl").read_text(encoding="utf-8").splitlines():
                eng = next(t for t in json.loads(line)["topics"] if t["lang"] == "eng")
                texts.append(f"{eng['topic_title']}. {eng['topic_description']}")
    else:
        from curate.builders.clef_queries.layout import topic_files
        from curate.builders.clef_queries.topics import read_topic_file

        root = REPO / "curate" / "builders" / "clef_queries" / "sample" / "CLEF"
        for year in (2000, 2001, 2002, 2003):
            for path, lang in topic_files(root, year):
                if lang == "en":
                    texts += [f"{t.title}. {t.description}" for t in read_topic_file(path, year, lang)]
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def random_model(folder: Path, size: str, corpus: list[str]) -> str:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    tk = Tokenizer(models.WordPiece(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=8000, special_tokens=["<pad>", "</s>", "<unk>"]))
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    tok.save_pretrained(folder)
    s = SIZES[size]
    cfg = MarianConfig(vocab_size=len(tok), d_model=s["d_model"], encoder_layers=s["layers"], decoder_layers=s["layers"],
                       encoder_attention_heads=s["heads"], decoder_attention_heads=s["heads"],
                       encoder_ffn_dim=s["ffn"], decoder_ffn_dim=s["ffn"], max_position_embeddings=512,
                       pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)
    torch.manual_seed(0)
    MarianMTModel(cfg).save_pretrained(folder)
    return str(folder)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model folder or hub id (default: --random-model)")
    ap.add_argument("--random-model", choices=tuple(SIZES), default="base")
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--source", default="en")
    ap.add_argument("--target", default="ky")
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--json-out", help="write the figures here as JSON")
    args = ap.parse_args()

    import torch

    from curate.transforms.translate import Seq2SeqTranslator

    torch.set_num_threads(torch.get_num_threads())
    texts = load_queries(args.texts)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or random_model(Path(tmp) / f"random-marian-{args.random_model}", args.random_model, texts)
        mt = Seq2SeqTranslator(model, args.target, source_language=args.source, device=args.device,
                               batch_size=args.batch_size, max_new_tokens=args.max_new_tokens, cache_dir=tmp)
        mt.generate(texts[:2], args.source, args.target)  # warm-up: load, allocate, compile kernels
        result = {}
        for mode, batched in (("batched", True), ("one_at_a_time", False)):
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            _, tokens = mt.generate(texts, args.source, args.target, batched=batched)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            result[mode] = {"seconds": round(dt, 3), "generated_tokens": tokens, "tokens_per_s": round(tokens / dt, 1)}
    result["speedup_batched_over_one_at_a_time"] = round(
        result["batched"]["tokens_per_s"] / result["one_at_a_time"]["tokens_per_s"], 2)
    result["setup"] = {"model": args.model or f"random Marian {args.random_model} ({SIZES[args.random_model]})",
                       "device": args.device, "dtype": "bfloat16" if args.device.startswith("cuda") else "float32",
                       "texts": len(texts), "batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens,
                       "torch_threads": torch.get_num_threads(), "machine": platform.platform(),
                       "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None}
    for mode in ("batched", "one_at_a_time"):
        r = result[mode]
        print(f"{mode:>14}: {r['generated_tokens']} tokens in {r['seconds']} s = {r['tokens_per_s']} tokens/s")
    print(f"batched / one-at-a-time: {result['speedup_batched_over_one_at_a_time']}x")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
