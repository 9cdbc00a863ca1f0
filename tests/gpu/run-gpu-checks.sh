#!/usr/bin/env bash
# The whole GPU session of the CUDA backend, as one short script (well under 5 minutes; GPU time is scarce).
#
# The GPU machine has the NVIDIA driver but no .NET SDK, so the check is published HERE first, as NativeAOT (a 2 MB
# self-contained binary; IlcInstructionSet left generic so it runs on that machine's CPU):
#   dotnet publish tests/gpu/NetGen.CudaCheck -c Release -r linux-x64 -o artifacts/cuda-check
# and artifacts/cuda-check is carried along (it is git-ignored). Then, on the GPU machine, from the repository root:
#   tests/gpu/run-gpu-checks.sh            (writes $OUT/cuda-check.log when OUT is set)
# Each kernel runs against the CPU kernels on random data; one PASS/FAIL line each, then ALL PASS or "N FAILED".
# Exit status: that of the check (0 = all pass or no GPU; 1 = a failure; 124 = ran past the time limit).
set -uo pipefail
cd "$(dirname "$0")/../.."
binary=artifacts/cuda-check/NetGen.CudaCheck
log="${OUT:-artifacts}/cuda-check.log"
mkdir -p "$(dirname "$log")"
[ -x "$binary" ] || { echo "no $binary: publish it first (see the top of this script)"; exit 2; }
{
  echo "== $(date -u +%FT%TZ) $(uname -m)"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader
  echo "== PTX sha256 $(sha256sum src/Runtime/Cuda/kernels.ptx | cut -c1-16)"
} 2>&1 | tee "$log"
timeout 300 "$binary" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
echo "== exit $status" | tee -a "$log"
exit "$status"
