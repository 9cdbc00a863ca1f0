#!/usr/bin/python3
"""Merges the CUDA benchmark's two sides into one result file and a markdown table with the goals of issue 17.

    python3 bench/cuda_compare.py --netgen netgen-cuda.json --pytorch pytorch-cuda.json --out-dir bench/results

reads the JSON of `NetGen.CudaCheck --bench` (tests/gpu/NetGen.CudaCheck/Bench.cs) and of
bench/peers/pytorch_cuda_peer.py and writes OUT-DIR/cuda-<date>.json and OUT-DIR/cuda-<date>.md (<date> from the NetGen
file, --name to choose another stem). Standard library only: it runs wherever Python 3 does.

For each workload, NetGen's figure is its shipped configuration (CUDA graphs); PyTorch's are its best "eager*" and its
best "compile*" configuration (best = most favourable to PyTorch: the lowest median time per call). The ratios are
NetGen's advantage, PyTorch's median time per call over NetGen's (above 1: NetGen is faster; the same batch on both
sides, so it is also the ratio of the throughputs). The goals (issue 17; docs/adr/0051-the-cuda-benchmark.md):

    training at batch 64 (mlp_train_b64, cnn_train_b64)   >= 2x PyTorch eager and >= 1x torch.compile
    training at batch 4096 (mlp_train_b4096)              >= 0.8x the best of PyTorch (eager or torch.compile)
    batch-1 latency (mlp_latency_b1, cnn_latency_b1)      >= 1x torch.compile (the eager ratio is reported, no goal)

A goal whose PyTorch side is missing (an error, torch.compile unavailable) is "n/a" with the reason. Exit status 0 when
the files are written, whatever the goals; 2 for unreadable input.
"""

import argparse
import json
import os
import sys

GOALS = {
    # workload: [(against, minimum)]; against: "eager", "compile" or "best"
    "mlp_train_b64": [("eager", 2.0), ("compile", 1.0)],
    "cnn_train_b64": [("eager", 2.0), ("compile", 1.0)],
    "mlp_train_b4096": [("best", 0.8)],
    "mlp_latency_b1": [("compile", 1.0)],
    "cnn_latency_b1": [("compile", 1.0)],
}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"cuda_compare: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def pytorch_side(row, kind):
    """(config, stats) of the best configuration of that kind, or (None, reason)."""
    if row is None:
        return None, "no PyTorch row"
    configs = row.get("configs", {})
    if kind == "best":
        names = [n for n in (row.get("best_eager"), row.get("best_compile")) if n]
        if not names:
            return None, "no PyTorch configuration timed"
        name = min(names, key=lambda n: configs[n]["median_us"])
        return name, configs[name]
    name = row.get("best_" + kind)
    if name:
        return name, configs[name]
    errors = sorted({v["error"] for c, v in configs.items() if c.startswith(kind) and "error" in v})
    return None, "; ".join(errors) or f"no {kind} configuration"


def ratio(pytorch_us, netgen_us):
    return round(pytorch_us / netgen_us, 3) if pytorch_us and netgen_us else None


def merge(netgen, pytorch):
    rows = []
    by_name = {r["workload"]: r for r in pytorch.get("results", [])}
    for n in netgen.get("results", []):
        p = by_name.get(n["workload"])
        netgen_us = n["median_us"]
        out = {"workload": n["workload"], "unit": n["unit"], "batch": n["batch"], "what": n.get("what"),
               "netgen": {"config": n["config"], "median_us": netgen_us, "mean_us": n.get("mean_us"),
                          "min_us": n.get("min_us"), "rows_per_s": n.get("rows_per_s"),
                          "configs": n.get("configs", {})},
               "pytorch": {}, "ratios": {}, "goals": []}
        batch_mismatch = p is not None and p.get("batch") != n["batch"]
        for kind in ("eager", "compile", "best"):
            name, stats = pytorch_side(p, kind)
            if name is None:
                out["pytorch"][kind] = {"error": stats}
                out["ratios"]["vs_" + kind] = None
                continue
            out["pytorch"][kind] = dict(stats, config=name)
            out["ratios"]["vs_" + kind] = None if batch_mismatch else ratio(stats["median_us"], netgen_us)
        for against, minimum in GOALS.get(n["workload"], []):
            r = out["ratios"].get("vs_" + against)
            if batch_mismatch:
                met, why = None, f"batch differs: NetGen {n['batch']}, PyTorch {p.get('batch')}"
            elif r is None:
                met, why = None, out["pytorch"][against].get("error", "not measured")
            else:
                met, why = r >= minimum, None
            out["goals"].append({"against": against, "minimum": minimum, "ratio": r, "met": met, "why": why})
        rows.append(out)
    return rows


def fmt_time(us):
    if us is None:
        return "–"
    return f"{us / 1000:.3f} ms" if us >= 1000 else f"{us:.1f} µs"


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def markdown(doc):
    n, p = doc["netgen_side"], doc["pytorch_side"]
    lines = [f"# CUDA benchmark {doc['date']}: NetGen (Backend.Cuda) vs PyTorch", ""]
    if doc["rehearsal"]:
        lines += ["**REHEARSAL** (" + doc["rehearsal"] + "): the figures below prove the pipeline, not the speed.", ""]
    lines += [
        f"- Device: {n.get('device')} (compute capability {n.get('compute_capability')}, {n.get('memory_mib')} MiB); "
        f"driver {doc.get('driver_version') or '–'} (CUDA driver API {n.get('driver_api_version')}); "
        f"kernel module: {n.get('driver_module') or '–'}",
        f"- NetGen: {n.get('runtime')}, PTX sha256 {str(n.get('ptx_sha256'))[:16]}…, commit {doc.get('commit') or '–'}",
        f"- PyTorch {p.get('torch')} on {p.get('device')}, CUDA {p.get('cuda', '–')}, cuDNN {p.get('cudnn', '–')}, "
        f"TF32 {'off' if p.get('tf32') is False else p.get('tf32', '–')}; torch.compile: {p.get('compile', '–')}",
        f"- Method (NetGen): {n.get('method')}",
        f"- Method (PyTorch): {p.get('method')}",
        "",
        "Ratios are NetGen's advantage: PyTorch's median time per call over NetGen's (above 1: NetGen faster).",
        "",
        "| workload | batch | NetGen (CUDA graphs) | NetGen launch by launch | PyTorch eager (best) | torch.compile (best) "
        "| × eager | × compile | goals |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["results"]:
        ng = r["netgen"]
        launches = ng["configs"].get("launch_by_launch", {}).get("median_us")
        cells = []
        for kind in ("eager", "compile"):
            side = r["pytorch"][kind]
            cells.append(f"{fmt_time(side['median_us'])} ({side['config']})" if "median_us" in side
                         else "n/a: " + side["error"][:80].replace("|", "/"))
        goals = []
        for g in r["goals"]:
            label = {"eager": "eager", "compile": "compile", "best": "best PyTorch"}[g["against"]]
            state = "n/a" if g["met"] is None else ("**met**" if g["met"] else "**missed**")
            goals.append(f"≥ {g['minimum']:g}× {label}: {state}")
        extra = f" ({ng['rows_per_s']:.0f} rows/s)" if r["unit"] == "samples/s" and ng.get("rows_per_s") else ""
        lines.append(f"| `{r['workload']}` | {r['batch']} | {fmt_time(ng['median_us'])}{extra} | {fmt_time(launches)} | "
                     f"{cells[0]} | {cells[1]} | {fmt_ratio(r['ratios']['vs_eager'])} | "
                     f"{fmt_ratio(r['ratios']['vs_compile'])} | {'; '.join(goals) or '–'} |")
    lines += ["", "Every PyTorch configuration (median per call; first call includes compilation and capture):", "",
              "| workload | configuration | median | min | first call | note |", "|---|---|---|---|---|---|"]
    for r in doc["pytorch_side"].get("results", []):
        for c, v in r["configs"].items():
            if "median_us" in v:
                lines.append(f"| `{r['workload']}` | {c} | {fmt_time(v['median_us'])} | {fmt_time(v['min_us'])} | "
                             f"{fmt_time(v['first_call_us'])} | {v.get('optimizer', '')} |")
            else:
                lines.append(f"| `{r['workload']}` | {c} | – | – | – | {v['error'][:160].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Merge NetGen's and PyTorch's CUDA benchmark JSON files.")
    ap.add_argument("--netgen", required=True, help="the JSON of NetGen.CudaCheck --bench")
    ap.add_argument("--pytorch", required=True, help="the JSON of bench/peers/pytorch_cuda_peer.py")
    ap.add_argument("--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--name", default=None, help="file stem (default cuda-<date of the NetGen run>)")
    ap.add_argument("--commit", default=None, help="the NetGen commit the binary was published from")
    ap.add_argument("--driver", default=None, help="the driver version as nvidia-smi reports it")
    args = ap.parse_args()

    netgen, pytorch = load(args.netgen), load(args.pytorch)
    date = (netgen.get("date_utc") or pytorch.get("date_utc") or "unknown")[:10]
    rehearsal = []
    if netgen.get("skipped"):
        rehearsal.append("NetGen skipped: " + netgen["skipped"])
    if netgen.get("emulated_driver"):
        rehearsal.append("NetGen on the emulated driver")
    if netgen.get("quick") or pytorch.get("quick"):
        rehearsal.append("--quick repetition counts")
    if pytorch.get("identity_compile"):
        rehearsal.append("torch.compile replaced by the identity (--identity-compile)")
    if pytorch.get("complete") is False:
        rehearsal.append("the PyTorch peer stopped early (rows missing)")
    if pytorch.get("skipped"):
        rehearsal.append("PyTorch skipped: " + pytorch["skipped"])
    elif not str(pytorch.get("device", "")).startswith("NVIDIA") and pytorch.get("requested_device") != "cuda":
        rehearsal.append(f"PyTorch on {pytorch.get('device')}")
    doc = {
        "date": date,
        "commit": args.commit,
        "driver_version": args.driver,
        "rehearsal": ", ".join(rehearsal) or None,
        "device": netgen.get("device"),
        "goals": {w: [{"against": a, "minimum": m} for a, m in g] for w, g in GOALS.items()},
        "results": merge(netgen, pytorch),
        "netgen_side": {k: v for k, v in netgen.items() if k != "results"},
        "pytorch_side": pytorch,
    }
    os.makedirs(args.out_dir, exist_ok=True)
    stem = args.name or f"cuda-{date}"
    json_path, md_path = os.path.join(args.out_dir, stem + ".json"), os.path.join(args.out_dir, stem + ".md")
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(md_path, "w") as f:
        f.write(markdown(doc))
    met = [g["met"] for r in doc["results"] for g in r["goals"]]
    print(f"cuda_compare: wrote {json_path} and {md_path}: goals met {met.count(True)}, missed {met.count(False)}, "
          f"n/a {met.count(None)}" + (f" [{doc['rehearsal']}]" if doc["rehearsal"] else ""))


if __name__ == "__main__":
    main()
