#!/usr/bin/env bash
# Regenerates kernels.ptx from kernels.cu with clang-14 alone (no CUDA toolkit: prelude.h stands in for its headers).
# Usage: src/Runtime/Cuda/build-ptx.sh [OUTPUT]   (default: kernels.ptx beside this script; .ci/run writes elsewhere and
# compares, to fail on a stale committed PTX). -ffp-contract=off: no fused multiply-add, as on the CPU.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/kernels.ptx}"
clang="${CLANG:-clang-14}"
"$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -ffp-contract=off \
  -include "$here/prelude.h" -O3 -S "$here/kernels.cu" -o "$out"
