#!/usr/bin/env bash
# The inference session's measurements (docs/adr/0034), written beside this script:
#   inference-ab.txt          NetGen.Bench --inference-ab: batch-1 kernels, paired in one process
#   trainer-overhead.json     NetGen.Bench --trainer-overhead: Fit against a hand-written TrainStep loop, paired epochs
#   inference-sample.txt      samples/Inference published with NativeAOT: binary size, start-up, per-image latency
# Each file starts with the load average, which says how busy the shared 2-vCPU machine was.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
reps=${REPS:-41}

dotnet build bench/NetGen.Bench/NetGen.Bench.csproj -c Release -nologo -v quiet
{ echo "load average before: $(cat /proc/loadavg)"; echo "commit: $(git rev-parse --short HEAD)"
  dotnet run -c Release --no-build --project bench/NetGen.Bench -- --inference-ab --reps "$reps"
  echo "load average after: $(cat /proc/loadavg)"; } | tee "$here/inference-ab.txt"

echo "load average before: $(cat /proc/loadavg)"
dotnet run -c Release --no-build --project bench/NetGen.Bench -- --trainer-overhead "$here/trainer-overhead.json" --reps 9
echo "load average after: $(cat /proc/loadavg)"

dotnet publish samples/Inference -c Release -r linux-x64 -o artifacts/inference-aot -nologo -v quiet
{ echo "load average before: $(cat /proc/loadavg)"; echo "commit: $(git rev-parse --short HEAD)"
  echo "binary: $(stat -c %s artifacts/inference-aot/Inference) bytes (artifacts/inference-aot/Inference; the model file beside it: $(stat -c %s artifacts/inference-aot/mnist_mlp.safetensors) bytes)"
  # Start-up: the whole process, exec to exit, classifying the committed digit without the latency loop (median of 21).
  /usr/bin/python3 - <<'PY'
import statistics, subprocess, time
times = []
for _ in range(21):
    t0 = time.perf_counter()
    subprocess.run(["artifacts/inference-aot/Inference", "--no-latency", "samples/Inference/seven.pgm"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t0) * 1e3)
print(f"start-up, exec to exit with one digit classified: median {statistics.median(times):.1f} ms, best {min(times):.1f} ms (21 runs)")
PY
  artifacts/inference-aot/Inference samples/Inference/seven.pgm
  artifacts/inference-aot/Inference || true
  echo "load average after: $(cat /proc/loadavg)"; } | tee "$here/inference-sample.txt"
