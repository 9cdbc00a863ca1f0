#!/bin/bash
# Same-machine A/B of NetGen's own figures: the commit before the graph plan (5980fe7) and this one, alternating.
for i in 1 2 3 4; do
  for side in old main; do
    dir=/work/wt-$side; [ $side = main ] && dir=/work/main
    (cd $dir && env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 dotnet run -c Release --no-build --project bench/NetGen.Bench -- --compare /tmp/ab/$side-$i.json --reps 21 > /tmp/ab/$side-$i.log 2>&1)
  done
done
echo done > /tmp/ab/finished
