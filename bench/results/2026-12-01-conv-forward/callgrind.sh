#!/bin/bash
# Instruction counts of ADR 0047 (docs/performance.md): per call = (Ir(BODY) - Ir(none)) / CALLS. Run from the repository root after
# dotnet build bench/NetGen.Bench -c Release.
export DOTNET_TieredCompilation=0
B=bench/NetGen.Bench/bin/Release/net10.0/NetGen.Bench.dll
run() { valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="cg.$1.$2.$3" dotnet $B --conv-forward-count "$1" $2 $3 > "log.$1.$2" 2>&1; }
for side in old new; do
  run none $side 0 &
  run "conv2+pool2 b1" $side 100 &
  run "Predict b1" $side 100 &
done
wait
