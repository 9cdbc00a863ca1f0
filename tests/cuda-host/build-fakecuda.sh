#!/usr/bin/env bash
# Builds the emulated CUDA driver (fakecuda.cpp: the driver API over kernels.cu compiled for the host with emulate.h).
# Usage: tests/cuda-host/build-fakecuda.sh OUTPUT.so
# The kernel table is written here from kernels.cu and the kernels_*.cu it includes (every `NG_KERNEL name(`), so new
# kernels need no edit of the fake.
# Exit status 127 when the C++ compiler ($CXX, default g++) is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
cxx="${CXX:-g++}"
command -v "$cxx" > /dev/null || { echo "$cxx (C++20) is not installed"; exit 127; }
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
grep -hoE '^NG_KERNEL[[:space:]]+[A-Za-z_][A-Za-z_0-9]*' "$here/../../src/Runtime/Cuda/"kernels*.cu \
  | awk '{print "NG_ENTRY(" $2 ")"}' > "$gen/kernel-table.h"
[ -s "$gen/kernel-table.h" ] || { echo "no NG_KERNEL found in kernels.cu"; exit 1; }
"$cxx" -std=c++20 -O1 -ffp-contract=off -pthread -shared -fPIC -fvisibility=hidden -I "$gen" -include "$here/emulate.h" \
  "$here/fakecuda.cpp" -o "$out"
