#!/usr/bin/env bash
# Everything a short GPU lease is for, in one run (device time is scarce; each step is bounded and
# a failed step does not stop the next):
#   1. the etymology tagger on CUDA: scripts/bench_tagger.py (MUDT repeated, warm cache) and
#      scripts/bench_corpus.py --device cuda (10M-token Zipf corpus, cold), with a CPU run of
#      bench_tagger on the same machine as the baseline of the ratio;
#   2. (labels) GPU fp16/bf16 labels against CPU fp32 labels (scripts/check_gpu_labels.py);
#   3. a recipe sweep on the tuning protocol (grouped 10-fold, seed 7, first 4 folds; never seed 31337),
#      one process per fold, all configurations at once over the machine's CPU cores.
# Usage on the lent machine, from the repository root:  OUT=/some/dir bash scripts/gpu_session.sh [bench|labels|sweep|all]
# (one call per phase keeps each under the device tool's 10-minute limit per command)
# The machine's python3 must hold torch and transformers; rapidfuzz and sacremoses may come as wheels in .whl/.
set -u
OUT=${OUT:?set OUT to a folder for the results}
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=$PYTHONPATH:/tmp/site
fi
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; lscpu | grep 'Model name';
  $PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

PHASE=${1:-all}
step() { local name=$1 limit=$2; shift 2; echo "== $name"; timeout "$limit" "$@" || echo "== $name FAILED (rc $?)"; }

if [ "$PHASE" = bench ] || [ "$PHASE" = all ]; then
step bench_tagger_cuda 120 $PY scripts/bench_tagger.py --device cuda --json-out "$OUT/bench-tagger-cuda.json"
step bench_tagger_cpu16 150 $PY scripts/bench_tagger.py --device cpu --min-tokens 300000 --json-out "$OUT/bench-tagger-cpu.json"
step bench_corpus_cuda 240 $PY scripts/bench_corpus.py --device cuda --tokens 10000000 --skip-build --skip-pipeline \
  --workdir /tmp/bench-corpus --json-out "$OUT/bench-corpus-cuda.json"

fi
if [ "$PHASE" = labels ] || [ "$PHASE" = all ]; then
step check_gpu_labels 200 $PY scripts/check_gpu_labels.py --json-out "$OUT/gpu-labels.json"
step bench_tagger_cuda_64k 120 $PY scripts/bench_tagger.py --device cuda --batch-tokens 65536 --json-out "$OUT/bench-tagger-cuda-64k.json"
fi
[ "$PHASE" = sweep ] || [ "$PHASE" = all ] || exit 0
SWEEP_DIR=/tmp/sweep; rm -rf $SWEEP_DIR; mkdir -p $SWEEP_DIR
i=0
while IFS= read -r options; do
  [ -n "$options" ] || continue
  i=$((i + 1))
  (timeout ${SWEEP_LIMIT:-380} $PY -m curate.cli etymology eval --grouped --folds 10 --seed 7 --first-folds 4 --jobs 4 --lexicon both \
     --json --model-config "$options" > $SWEEP_DIR/$i.json 2> $SWEEP_DIR/$i.err; echo "$options" > $SWEEP_DIR/$i.options) &
done < "${SWEEP:-scripts/gpu_sweep.txt}"
wait
$PY - $SWEEP_DIR "$OUT/sweep.json" <<'EOF'
import json, pathlib, sys
combined = []
for opt in sorted(pathlib.Path(sys.argv[1]).glob("*.options"), key=lambda p: int(p.stem)):
    try:
        r = json.loads(opt.with_suffix(".json").read_text())
        combined.append({"options": json.loads(opt.read_text()), "reports": r})
        cells = [f"{100 * r[x][k]['accuracy']:.2f}" for x in ("full", "none") for k in ("all", "unseen")]
        print(opt.read_text().strip(), "| full all/unseen", *cells[:2], "| none all/unseen", *cells[2:], f"| {r['none']['seconds']} s")
    except Exception as exc:  # a failed configuration is reported, not hidden
        print(opt.read_text().strip(), "FAILED:", exc, opt.with_suffix(".err").read_text()[-500:])
pathlib.Path(sys.argv[2]).write_text(json.dumps(combined, indent=1))
EOF
