#!/usr/bin/env bash
# NetGen vs PyTorch on the workloads of the performance issue, in the same run, plus this core's FMA peak; NetGen's
# pass also runs ONNX Runtime (the inference peer) on the exported MLP in its own process (bench/README.md).
#
#   bench/compare.sh [--passes N] [--reps N]        (defaults: 5 passes, 21 repetitions; about 4-6 minutes)
#
# Needs python3-torch and OpenBLAS (apt-get install -y python3-torch libopenblas0-pthread): see bench/README.md.
#
# Writes bench/results/latest.json (array: workload, unit, netgen, pytorch, ratio, percent_of_peak for GEMM),
# bench/results/latest.machine.json and bench/results/latest.md. See bench/README.md for what the numbers mean.
set -euo pipefail

cd "$(dirname "$0")/.."
passes=5
reps=21
allow_reference_blas=0
while [ $# -gt 0 ]; do
  case "$1" in
    --passes) passes="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --allow-reference-blas) allow_reference_blas=1; shift ;;
    *) echo "usage: bench/compare.sh [--passes N] [--reps N] [--allow-reference-blas]" >&2; exit 2 ;;
  esac
done

py=/usr/bin/python3

# PyTorch's best configuration here runs its BLAS calls (torch.mm, nn.Linear's addmm) on OpenBLAS. Debian's
# python3-torch alone resolves libblas.so.3 to the netlib reference BLAS (about 2 GFLOP/s): a handicapped peer.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *)
    if [ "$allow_reference_blas" = 0 ]; then
      echo "libblas.so.3 resolves to '${blas:-nothing}', not OpenBLAS: PyTorch would be measured with a slow BLAS." >&2
      echo "Install it first:  apt-get install -y libopenblas0-pthread   (or pass --allow-reference-blas)" >&2
      exit 3
    fi ;;
esac
out=bench/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

echo "== build (Release)"
dotnet build bench/NetGen.Bench/NetGen.Bench.csproj -c Release -nologo -v quiet

# How the two vCPUs hand data to each other today (ADR 0055): every two-thread figure depends on it.
timeout 60 dotnet run -c Release --no-build --project bench/NetGen.Bench -- --host-probe --json "$tmp/host-before.json" || true
stat_before=$(head -n1 /proc/stat)
load_before=$(cat /proc/loadavg)
for p in $(seq 1 "$passes"); do
  echo "== pass $p/$passes: NetGen"
  # Each side gets a hard limit so a hung process cannot hold the run past the issue's 30 minutes.
  # OpenBLAS (PyTorch's BLAS here) is also loaded into this process, one thread, in its best configuration, and
  # takes turns with NetGen's GEMM: a ratio taken under the same conditions (see bench/README.md).
  openblas_args=()
  case "$blas" in *openblas*) openblas_args=(--openblas "$blas") ;; esac
  timeout 600 env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 dotnet run -c Release --no-build --project bench/NetGen.Bench -- \
    --compare "$tmp/netgen-$p.json" --reps "$reps" "${openblas_args[@]}"
  echo "== pass $p/$passes: PyTorch (one thread, OPENBLAS_CORETYPE unset)"
  timeout 450 env -u OPENBLAS_CORETYPE OMP_NUM_THREADS=1 "$py" bench/peers/pytorch_peer.py \
    --out "$tmp/pytorch-$p.json" --reps "$reps"
  echo "== pass $p/$passes: PyTorch, convolution rows (1 and 2 threads, OPENBLAS_CORETYPE unset)"
  timeout 900 env -u OPENBLAS_CORETYPE "$py" bench/peers/pytorch_cnn_peer.py \
    --out "$tmp/cnn-pytorch-$p.json" --reps "$reps"
done
stat_after=$(head -n1 /proc/stat)
timeout 60 dotnet run -c Release --no-build --project bench/NetGen.Bench -- --host-probe --json "$tmp/host-after.json" || true
load_after=$(cat /proc/loadavg)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src bench 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi

"$py" bench/merge_results.py \
  --netgen "$tmp"/netgen-*.json --pytorch "$tmp"/pytorch-*.json --pytorch-cnn "$tmp"/cnn-pytorch-*.json --out-dir "$out" \
  --stat-before "$stat_before" --stat-after "$stat_after" \
  --loadavg-before "$load_before" --loadavg-after "$load_after" \
  --host-probe "$tmp/host-before.json" "$tmp/host-after.json" \
  --seconds $((SECONDS - start)) --commit "$commit" --date "$(date -u +%Y-%m-%dT%H:%MZ)"

cat "$out/latest.md"
