#!/usr/bin/env bash
# The whole GPU session of the CUDA backend, as one short script (well under 5 minutes; GPU time is scarce).
#
# The GPU machine has the NVIDIA driver but no .NET SDK, so the check is published HERE first, as NativeAOT (a 2 MB
# self-contained binary; IlcInstructionSet left generic so it runs on that machine's CPU):
#   dotnet publish tests/gpu/NetGen.CudaCheck -c Release -r linux-x64 -o artifacts/cuda-check
# and artifacts/cuda-check is carried along (it is git-ignored). Then, on the GPU machine, from the repository root:
#   tests/gpu/run-gpu-checks.sh            (writes $OUT/cuda-check.log when OUT is set)
# Each kernel runs against the CPU kernels on random data, then generated networks twice with the same seed (Determinism.cs:
# the same bits run to run, with CUDA graphs and launch by launch), then generated CNNs (NetworkChecks.cs) on Backend.Cuda
# against Backend.Cpu; one PASS/FAIL line each, then ALL PASS or "N FAILED". CUDA_CHECK_TIMEOUT: seconds (default 300).
# tests/gpu/run-gpu-all.sh runs this, the CUDA benchmark, the PyTorch peer and the merge as one command.
# Exit status: that of the check (0 = all pass or no GPU; 1 = a failure; 124 = ran past the time limit).
#
# Rehearsal without a GPU, before taking the binary to one: tests/gpu/run-gpu-checks.sh --emulated builds the emulated
# driver (tests/cuda-host/build-fakecuda.sh, g++) and runs the same check on it through NETGEN_CUDA_DRIVER, with
# `dotnet run` when the published binary is absent (a few minutes on two cores: the GEMMs run on the CPU, a fiber per
# GPU thread). It proves the program, the launches and the interop, not the GPU's arithmetic.
set -uo pipefail
cd "$(dirname "$0")/../.."
binary=artifacts/cuda-check/NetGen.CudaCheck
log="${OUT:-artifacts}/cuda-check.log"
mkdir -p "$(dirname "$log")" artifacts
if [ "${1:-}" = "--emulated" ]; then
  tests/cuda-host/build-fakecuda.sh artifacts/libnetgen-fakecuda.so || exit 2
  export NETGEN_CUDA_DRIVER="$PWD/artifacts/libnetgen-fakecuda.so"
  if [ ! -x "$binary" ]; then
    dotnet build tests/gpu/NetGen.CudaCheck -c Release > /dev/null || exit 2
    binary="dotnet tests/gpu/NetGen.CudaCheck/bin/Release/net9.0/NetGen.CudaCheck.dll"
  fi
fi
[ -x "${binary%% *}" ] || command -v "${binary%% *}" > /dev/null || { echo "no $binary: publish it first (see the top of this script)"; exit 2; }
{
  echo "== $(date -u +%FT%TZ) $(uname -m)"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader
  echo "== PTX sha256 $(sha256sum src/Runtime/Cuda/kernels.ptx | cut -c1-16)"
} 2>&1 | tee "$log"
timeout "${CUDA_CHECK_TIMEOUT:-300}" $binary 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
echo "== exit $status" | tee -a "$log"
exit "$status"
