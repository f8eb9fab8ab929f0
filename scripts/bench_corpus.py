"""Etymology tagging and the maltese-corpus builder on a corpus-shaped input (issue 14).

    nice -n 5 .venv/bin/python scripts/bench_corpus.py [--tokens 10000000] [--device cpu|cuda]
        [--amp float16|bfloat16] [--feeders 4] [--threads N] [--small 1000000] [--naive-tokens 20000]
        [--build-tokens N] [--skip-build] [--skip-pipeline] [--workdir /tmp/bench-corpus] [--json-out PATH]

The corpus (`corpus_synth.py`): deterministic, Zipf-distributed real and productive Maltese types with
Heaps-law growth. Every measurement runs in a fresh process (cold caches, its own peak RSS):
- `tagger`: `EtymologyEngine.tag_stream` over the pre-tokenised corpus, a cold pass then a warm pass;
  tokens/s, new types encoded and their rate (features + encoder), peak RSS; once on the first
  `--small` tokens and once on all, so RSS flatness is measured, not assumed.
- `newtypes`: features + encoder alone on 100k distinct corpus types, one thread: new types/s per core.
- `naive`: the baseline in the same run: one `tag([sentence])` call per sentence without the type
  cache (per-batch featurise + char CNN of every type, as before issue 14), on the first `--naive-tokens`.
- `pipeline`: the builder's per-record path in one process (sentence split, tokenise, tag, four
  conditional pipelines), cold then warm, no shard writing.
- `build`: `curate build maltese-corpus --manual-dir` with 1 and 2 workers (tokenise -> tag ->
  transliterate/translate -> shards); wall time, tokens/s, speed-up, and whether the shards are identical.
On `--device cuda` the tagger runs in fp16/bf16 autocast with pinned host memory, fed by `--feeders`
DataLoader workers that read and split the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _sentences(path: Path, limit: int):
    n = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            tokens = line.split()
            yield tokens
            n += len(tokens)
            if n >= limit:
                return


class _Feed:
    """A torch IterableDataset of token lists, sharded over DataLoader workers (GPU feeding)."""

    def __new__(cls, path: Path, limit: int, chunk: int = 2048):
        import torch.utils.data as tud

        class Feed(tud.IterableDataset):
            def __iter__(self):
                info = tud.get_worker_info()
                wid, n = (info.id, info.num_workers) if info else (0, 1)
                batch = []
                for i, sentence in enumerate(_sentences(path, limit)):
                    if (i // chunk) % n == wid:
                        batch.append(sentence)
                    if len(batch) == chunk:
                        yield batch
                        batch = []
                if batch:
                    yield batch

        return Feed()


def child_tagger(args) -> dict:
    import torch

    from curate.maltese.etymology.inference import EtymologyEngine

    engine = EtymologyEngine.from_pretrained(args.model, device=args.device, threads=args.threads,
                                             amp_dtype=args.amp, batch_tokens=args.batch_tokens)
    spent = [0.0]
    project = engine._project_types

    def timed(types):  # time spent on new types: features + encoder
        start = time.perf_counter()
        out = project(types)
        spent[0] += time.perf_counter() - start
        return out

    engine._project_types = timed
    sync = torch.cuda.synchronize if engine.device.type == "cuda" else (lambda: None)
    out = {"device": str(engine.device), "threads": torch.get_num_threads()}
    for phase in ("cold", "warm")[: 1 if args.cold_only else 2]:
        spent[0], before, tokens, cpu = 0.0, engine.new_types, 0, time.process_time()
        start = time.perf_counter()
        if engine.device.type == "cuda":
            import torch.utils.data as tud

            loader = tud.DataLoader(_Feed(args.corpus, args.limit), batch_size=None, num_workers=args.feeders,
                                    pin_memory=False, prefetch_factor=4 if args.feeders else None)
            stream = (s for chunk in loader for s in chunk)
        else:
            stream = _sentences(args.corpus, args.limit)
        for _sentence, labels, _ in engine.tag_stream(stream):
            tokens += len(labels)
        sync()
        seconds = time.perf_counter() - start
        new = engine.new_types - before
        cpu = time.process_time() - cpu  # on a shared machine, CPU seconds are the steadier figure
        out[phase] = {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds),
                      "cpu_seconds": round(cpu, 2), "tokens_per_cpu_s": round(tokens / cpu),
                      "new_types": new, "new_type_seconds": round(spent[0], 2),
                      "new_types_per_s": round(new / spent[0]) if spent[0] else None, "peak_rss_mb": _rss_mb()}
    out["cache"] = engine.stats()
    return out


def child_newtypes(args) -> dict:
    import torch

    from curate.maltese.etymology.inference import EtymologyEngine

    types = list(dict.fromkeys(t for s in _sentences(args.corpus, args.limit) for t in s))[:100_000]
    engine = EtymologyEngine.from_pretrained(args.model, device="cpu", threads=1)
    with torch.inference_mode():
        start = time.perf_counter()
        for i in range(0, len(types), 4096):
            engine._project_types(types[i : i + 4096])
        seconds = time.perf_counter() - start
    return {"types": len(types), "seconds": round(seconds, 2), "new_types_per_s_one_core": round(len(types) / seconds)}


def child_naive(args) -> dict:
    from curate.maltese.etymology.inference import EtymologyEngine

    engine = EtymologyEngine.from_pretrained(args.model, device=args.device, threads=args.threads, type_cache_size=0)
    sentences = list(_sentences(args.corpus, args.limit))
    start = time.perf_counter()
    labels = [engine.tag([s])[0][0] for s in sentences]
    seconds = time.perf_counter() - start
    cached = EtymologyEngine(engine.backend, device=args.device, threads=args.threads).tag(sentences)
    same = sum(a == b for x, (y, _) in zip(labels, cached) for a, b in zip(x, y))
    tokens = sum(map(len, sentences))
    return {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds),
            "labels_identical_to_cached_path": round(same / tokens, 6)}


def child_pipeline(args) -> dict:
    from curate.builders.maltese_corpus.process import CorpusProcessor
    from curate.builders.maltese_corpus.sources import Text

    processor = CorpusProcessor(args.model, threads=args.threads, device=args.device)
    lines = []
    with (args.corpus.parent / "text" / "train.txt").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            lines.append(Text(str(i), None, line.strip()))
            if i + 1 >= args.limit // 20:  # ~20 tokens per line
                break
    out = {}
    for phase in ("cold", "warm"):
        start, cpu = time.perf_counter(), time.process_time()
        tokens = sum(len(row["tokens"]) for row in processor.rows(lines))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        out[phase] = {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds),
                      "tokens_per_cpu_s": round(tokens / cpu),
                      "peak_rss_mb": _rss_mb()}
    return out


def run_child(kind: str, args, limit: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--limit", str(limit), "--workdir", str(args.workdir),
           "--device", args.device, "--amp", args.amp, "--feeders", str(args.feeders),
           "--batch-tokens", str(args.batch_tokens)]
    cmd += ["--threads", str(args.threads)] if args.threads else []
    cmd += ["--cold-only"] if kind == "tagger" and limit > args.small else []
    cmd += ["--model", args.model] if args.model else []
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_build(args, workers: int, text_dir: Path) -> dict:
    out = args.workdir / f"build-w{workers}"
    cmd = [sys.executable, "-m", "curate.cli", "build", "maltese-corpus", "--manual-dir", str(text_dir), "--out",
           str(out), "--workers", str(workers), "--slice-mb", "2", "--no-progress", "--overwrite"]
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stderr[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    from tests.conftest import shard_hashes

    rss, user, system = proc.stderr.strip().splitlines()[-1].split()
    return {"workers": workers, "seconds": round(seconds, 1), "rows": manifest["configs"]["default"]["splits"],
            "max_rss_mb_one_process": round(int(rss) / 1024, 1), "cpu_seconds": round(float(user) + float(system), 1),
            "hashes": shard_hashes(out)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=10_000_000)
    p.add_argument("--small", type=int, default=1_000_000, help="tokens of the RSS-flatness comparison run")
    p.add_argument("--large", type=int, default=None, help="tokens of the large tagger run (default: all)")
    p.add_argument("--naive-tokens", type=int, default=20_000)
    p.add_argument("--build-tokens", type=int, default=None, help="tokens the builder runs on (default: all)")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--skip-pipeline", action="store_true", help="leave out the builder path (it needs the full install)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--amp", choices=["float16", "bfloat16"], default="float16")
    p.add_argument("--feeders", type=int, default=4, help="DataLoader workers feeding the GPU")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--batch-tokens", type=int, default=8192)
    p.add_argument("--model", default=None)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/bench-corpus"))
    p.add_argument("--json-out", type=Path, default=None)
    p.add_argument("--cold-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.corpus = args.workdir / "corpus" / "tokens.txt"
    if args.child:
        kinds = {"tagger": child_tagger, "newtypes": child_newtypes, "naive": child_naive, "pipeline": child_pipeline}
        print(json.dumps(kinds[args.child](args)))
        return

    from corpus_synth import make_corpus

    start = time.perf_counter()
    corpus = make_corpus(args.workdir / "corpus", args.tokens)
    print(f"corpus: {corpus['tokens']:,} tokens, {corpus['types']:,} distinct types "
          f"({time.perf_counter() - start:.0f} s); growth {corpus['types_at_drawn']}", flush=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    result: dict = {"corpus": corpus, "device": args.device, "load_average_start": os.getloadavg()}
    result["naive"] = run_child("naive", args, args.naive_tokens)
    print("naive per-sentence loop (no type cache):", result["naive"], flush=True)
    result["newtypes"] = run_child("newtypes", args, args.tokens)
    print("new types, features + encoder, 1 thread:", result["newtypes"], flush=True)
    result["tagger_small"] = run_child("tagger", args, args.small)
    print(f"tagger, first {args.small:,} tokens:", result["tagger_small"], flush=True)
    result["tagger"] = run_child("tagger", args, args.large or args.tokens)
    print(f"tagger, first {args.large or args.tokens:,} tokens (cold only when larger than --small):", result["tagger"], flush=True)
    cold = result["tagger"]["cold"]["tokens_per_s"]
    print(f"tagger cold / naive loop: {cold / result['naive']['tokens_per_s']:.1f}x", flush=True)
    if not args.skip_pipeline:
        result["pipeline"] = run_child("pipeline", args, args.small)
        print("builder path in one process (split, tokenise, tag, 4 pipelines):", result["pipeline"], flush=True)
    if not args.skip_build and args.device == "cpu":
        text_dir = args.workdir / "corpus" / "text"
        if args.build_tokens:
            text_dir = args.workdir / "build-input"
            text_dir.mkdir(exist_ok=True)
            with (args.workdir / "corpus" / "text" / "train.txt").open(encoding="utf-8") as src, \
                    (text_dir / "train.txt").open("w", encoding="utf-8") as dst:
                n = 0
                for line in src:
                    dst.write(line)
                    n += len(line.split())
                    if n >= args.build_tokens:
                        break
        builds = [run_build(args, w, text_dir) for w in (1, 2)]
        tokens = args.build_tokens or corpus["tokens"]
        for b in builds:
            b["tokens_per_s_approx"] = round(tokens / b["seconds"])
            print(f"curate build, {b['workers']} worker(s): {b['seconds']} s, ~{b['tokens_per_s_approx']:,} tok/s, "
                  f"max RSS of one process {b['max_rss_mb_one_process']} MB", flush=True)
        result["build"] = [{k: v for k, v in b.items() if k != "hashes"} for b in builds]
        result["build_speedup_1_to_2"] = round(builds[0]["seconds"] / builds[1]["seconds"], 2)
        result["build_identical_bytes"] = builds[0]["hashes"] == builds[1]["hashes"]
        print(f"speed-up 1 -> 2 workers: {result['build_speedup_1_to_2']}x; identical shards: "
              f"{result['build_identical_bytes']}", flush=True)
    result["load_average_end"] = os.getloadavg()
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
