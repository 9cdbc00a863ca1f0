#!/usr/bin/env bash
# The whole GPU session of issue 17 as ONE command (expected 2-5 minutes on an H200; at most 8 by the timeouts below):
#   1. the parity and determinism checks   tests/gpu/run-gpu-checks.sh            -> $OUT/cuda-check.log
#   2. NetGen's CUDA benchmark             NetGen.CudaCheck --bench               -> $OUT/netgen-cuda.json
#   3. the PyTorch CUDA peer               bench/peers/pytorch_cuda_peer.py       -> $OUT/pytorch-cuda.json
#   4. the merge with the issue's goals    bench/cuda_compare.py                  -> $OUT/cuda-<date>.json, .md
# and this script's own log, $OUT/run-gpu-all.log (six files: the device tool brings back at most eight).
#
# Here, before (the GPU machine has no .NET; NativeAOT: a 3.6 MiB binary, 9.3 MiB with its symbols; docs/cuda.md):
#   dotnet publish tests/gpu/NetGen.CudaCheck -c Release -r linux-x64 -o artifacts/cuda-check
#   git rev-parse HEAD > artifacts/cuda-check/commit.txt
# then on the GPU machine, from the repository root, with artifacts/cuda-check carried along:
#   bash tests/gpu/run-gpu-all.sh          (the device tool: carry ["artifacts/cuda-check"], timeout_s 600)
# Afterwards, here: copy cuda-<date>.json and .md into bench/results/ and the figures into docs/performance.md.
#
# Rehearsal without a GPU: tests/gpu/run-gpu-all.sh --emulated runs the same four steps on the emulated driver
# (tests/cuda-host; the benchmark with --quick: a few calls per row, the batch-4096 row at 256 rows) and the peer with
# /usr/bin/python3 --device cpu --no-compile --quick. It proves the pipeline, not the speed. Without OUT the files go to
# artifacts/gpu-all/.
# Exit status: 0 when every step succeeded; otherwise 1 (each step still runs, so one failure loses nothing else).
set -uo pipefail
cd "$(dirname "$0")/../.."
emulated=""
[ "${1:-}" = "--emulated" ] && emulated=1
export OUT="${OUT:-$PWD/artifacts/gpu-all}"
mkdir -p "$OUT"
log="$OUT/run-gpu-all.log"
: > "$log"
say() { echo "== $*" | tee -a "$log"; }
failed=0
commit="$(cat artifacts/cuda-check/commit.txt 2>/dev/null || git rev-parse HEAD 2>/dev/null || echo unknown)"
say "$(date -u +%FT%TZ) run-gpu-all${emulated:+ --emulated}, commit $commit"
[ -f artifacts/cuda-check/NetGen.CudaCheck ] && chmod +x artifacts/cuda-check/NetGen.CudaCheck tests/gpu/*.sh

# 1. Parity and determinism (the script builds the emulated driver and, without the published binary, the check).
say "1/4 checks: tests/gpu/run-gpu-checks.sh ${emulated:+--emulated}"
CUDA_CHECK_TIMEOUT=${CUDA_CHECK_TIMEOUT:-$([ -n "$emulated" ] && echo 1800 || echo 150)} \
  bash tests/gpu/run-gpu-checks.sh ${emulated:+--emulated} >> "$log" 2>&1
status=$?
say "checks: exit $status ($(grep -cE '^PASS ' "$OUT/cuda-check.log" 2>/dev/null) PASS, $(grep -cE '^FAIL ' "$OUT/cuda-check.log" 2>/dev/null) FAIL)"
[ "$status" = 0 ] || failed=1

# 2. NetGen's benchmark.
binary=(artifacts/cuda-check/NetGen.CudaCheck)
python=(python3)
bench_args=()
peer_args=()
if [ -n "$emulated" ]; then
  export NETGEN_CUDA_DRIVER="$PWD/artifacts/libnetgen-fakecuda.so"   # built by run-gpu-checks.sh --emulated
  [ -x "${binary[0]}" ] || binary=(dotnet tests/gpu/NetGen.CudaCheck/bin/Release/net9.0/NetGen.CudaCheck.dll)
  python=(/usr/bin/python3)
  bench_args=(--quick)
  peer_args=(--device cpu --no-compile --quick)
fi
say "2/4 benchmark: ${binary[*]} --bench $OUT/netgen-cuda.json ${bench_args[*]}"
timeout "${BENCH_TIMEOUT:-$([ -n "$emulated" ] && echo 1800 || echo 90)}" "${binary[@]}" --bench "$OUT/netgen-cuda.json" "${bench_args[@]}" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
say "benchmark: exit $status"
[ "$status" = 0 ] || failed=1
unset NETGEN_CUDA_DRIVER

# 3. The PyTorch peer (eager, then torch.compile "reduce-overhead": compilation capped at 120 s in all).
say "3/4 PyTorch peer: ${python[*]} bench/peers/pytorch_cuda_peer.py --out $OUT/pytorch-cuda.json ${peer_args[*]}"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv,noheader >> "$log" 2>&1
PYTHONUNBUFFERED=1 timeout "${PEER_TIMEOUT:-240}" "${python[@]}" bench/peers/pytorch_cuda_peer.py --out "$OUT/pytorch-cuda.json" \
  --compile-budget-s "${COMPILE_BUDGET_S:-120}" "${peer_args[@]}" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
say "PyTorch peer: exit $status"
[ "$status" = 0 ] || failed=1

# 4. The merge (standard library only).
say "4/4 merge: bench/cuda_compare.py"
"${python[@]}" bench/cuda_compare.py --netgen "$OUT/netgen-cuda.json" --pytorch "$OUT/pytorch-cuda.json" \
  --out-dir "$OUT" --commit "$commit" \
  --driver "$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || failed=1
ls "$OUT"/cuda-*.md > /dev/null 2>&1 && cat "$OUT"/cuda-*.md >> "$log"
say "$(date -u +%FT%TZ) done: $([ "$failed" = 0 ] && echo 'every step succeeded' || echo 'a step FAILED (see above)')"
exit "$failed"
