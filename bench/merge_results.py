#!/usr/bin/python3
"""Merges the per-pass outputs of NetGen's compare mode and of bench/peers/pytorch_peer.py (called by compare.sh).

Writes
    OUT_DIR/latest.json          JSON array, one object per workload:
                                 workload, unit, netgen, pytorch, ratio, [percent_of_peak], and details
    OUT_DIR/latest.machine.json  the machine and run facts (CPU, flags, FMA peak, PyTorch configuration, noise)
    OUT_DIR/latest.md            the same as a markdown table plus the machine facts

Across passes each side keeps its best pass per workload (highest throughput, lowest latency), and for PyTorch
each configuration's best pass, then the best configuration: noise on a shared machine only ever makes a figure
worse, so the best pass is the least disturbed one. Every pass is kept in the JSON (`netgen_passes`, and
`pytorch_passes` with the best configuration of each pass).
"""

import argparse
import json
import os


def load(paths):
    return [json.load(open(p)) for p in paths]


def cpu_times(line):
    # "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
    v = [int(x) for x in line.split()[1:]]
    total = sum(v[:8])  # guest time is already counted in user
    return total, v[7] if len(v) > 7 else 0


def median(values):
    v = sorted(values)
    return v[len(v) // 2]


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netgen", nargs="+", required=True)
    ap.add_argument("--pytorch", nargs="+", required=True)
    ap.add_argument("--pytorch-cnn", nargs="*", default=[], help="outputs of pytorch_cnn_peer.py (convolution rows)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--stat-before", help="first line of /proc/stat at the start of the run")
    ap.add_argument("--stat-after", help="first line of /proc/stat at the end of the run")
    ap.add_argument("--loadavg-before")
    ap.add_argument("--loadavg-after")
    ap.add_argument("--seconds", type=float, help="wall time of compare.sh")
    ap.add_argument("--host-probe", nargs="*", default=[], help="outputs of NetGen.Bench --host-probe --json (start, end)")
    ap.add_argument("--commit", default="")
    ap.add_argument("--date", default="")
    args = ap.parse_args()

    ng_runs, pt_runs = load(args.netgen), load(args.pytorch)
    peak = max(r["fma_peak"]["gflops"] for r in ng_runs)
    peak_isa = ng_runs[0]["fma_peak"]["isa"]

    def per_workload(runs):
        out = {}
        for r in runs:
            for row in r["results"]:
                out.setdefault(row["workload"], []).append(row)
        return out

    ng, pt = per_workload(ng_runs), per_workload(pt_runs + load(args.pytorch_cnn))
    rows = []
    for workload, ng_rows in ng.items():
        unit = ng_rows[0]["unit"]
        higher_better = unit not in LOWER_IS_BETTER
        pick = max if higher_better else min
        ng_best = pick(r["value"] for r in ng_rows)
        if workload not in pt:
            continue  # a NetGen row whose peer was not run (e.g. compare.sh of an older checkout)
        pt_rows = pt[workload]
        assert all(r["unit"] == unit for r in pt_rows), workload
        # each configuration's best pass, then the best configuration
        pt_configs = {c: pick(r["configs"][c] for r in pt_rows) for c in pt_rows[0]["configs"]}
        pt_config = pick(pt_configs, key=pt_configs.get)
        pt_best = pt_configs[pt_config]
        ratio = ng_best / pt_best if higher_better else pt_best / ng_best
        row = {
            "workload": workload,
            "unit": unit,
            "netgen": round(ng_best, 3),
            "pytorch": round(pt_best, 3),
            "ratio": round(ratio, 3),
        }
        if workload.startswith("gemm_"):
            # gemm_*_2t runs on both cores: its peak is twice the one-core figure.
            cores = 2 if workload.endswith("_2t") else 1
            row["percent_of_peak"] = round(100 * ng_best / (cores * peak), 1)
            row["pytorch_percent_of_peak"] = round(100 * pt_best / (cores * peak), 1)
            all_cores = max((r["fma_peak"].get("gflops_all_cores", 0) for r in ng_runs), default=0)
            if cores == 2 and all_cores > 0:
                # Against what both cores delivered together in this run (the probe on both at once).
                row["percent_of_measured_two_core_peak"] = round(100 * ng_best / all_cores, 1)
            if all("ratio_vs_openblas_in_process" in r for r in ng_rows):
                # OpenBLAS in NetGen's process, taking turns with it: the median pass of the paired ratio.
                row["ratio_vs_openblas_in_process"] = median([r["ratio_vs_openblas_in_process"] for r in ng_rows])
                row["ratio_vs_openblas_in_process_passes"] = [r["ratio_vs_openblas_in_process"] for r in ng_rows]
                row["openblas_in_process_gflops"] = max(r["openblas_in_process_gflops"] for r in ng_rows)
            if cores == 2 and all("speedup_vs_one_core" in r for r in ng_rows):
                # Ratios measured within a pass, repetition by repetition (one core, two cores and two independent
                # one-core products taking turns): the median pass, since the best of noisy ratios overstates.
                for key in ("speedup_vs_one_core", "fraction_of_two_independent"):
                    row[key] = median([r[key] for r in ng_rows])
                    row[key + "_passes"] = [r[key] for r in ng_rows]
                row["two_independent_gflops"] = max(r["two_independent_gflops"] for r in ng_rows)
        if "flops_per_sample" in ng_rows[0]:
            # Convolution rows: GFLOP/s from the FLOPs per sample (ConvCompare.cs), against the one-core FMA peak and
            # against the probe on both cores at once (NetGen's planned kernels may use both).
            fps = ng_rows[0]["flops_per_sample"]
            ng_gflops = gflops_of(workload, unit, ng_best, fps)
            pt_gflops = gflops_of(workload, unit, pt_best, fps)
            all_cores = max((r["fma_peak"].get("gflops_all_cores", 0) for r in ng_runs), default=0)
            row["gflops"] = round(ng_gflops, 2)
            row["pytorch_gflops"] = round(pt_gflops, 2)
            row["percent_of_peak"] = round(100 * ng_gflops / peak, 1)
            row["pytorch_percent_of_peak"] = round(100 * pt_gflops / peak, 1)
            if all_cores > 0:
                row["percent_of_measured_two_core_peak"] = round(100 * ng_gflops / all_cores, 1)
        row["pytorch_config"] = pt_config
        row["pytorch_configs"] = pt_configs
        row["netgen_passes"] = [r["value"] for r in ng_rows]
        row["pytorch_passes"] = [r["value"] for r in pt_rows]
        row["what"] = ng_rows[0]["what"]
        rows.append(row)

    machine = dict(ng_runs[0]["machine"])
    pt0 = pt_runs[0]
    machine.update({
        "fma_peak_gflops": peak,
        "fma_peak_isa": peak_isa,
        "fma_peak_passes": [r["fma_peak"]["gflops"] for r in ng_runs],
        "fma_peak_all_cores_gflops": max((r["fma_peak"].get("gflops_all_cores", 0) for r in ng_runs), default=0),
        "fma_peak_all_cores_passes": [r["fma_peak"].get("gflops_all_cores") for r in ng_runs],
        "fma_peak_cores_probed": ng_runs[0]["fma_peak"].get("cores_probed"),
        "torch": pt0["torch"],
        "torch_threads": pt0["threads"],
        "torch_blas_library": pt0["blas_library"],
        "torch_cpu_capability": pt0["cpu_capability"],
        "openblas_coretype": pt0["openblas_coretype"],
        "passes": len(ng_runs),
        "netgen_method": ng_runs[0]["method"],
        "pytorch_method": pt0["method"],
        "commit": args.commit,
        "date": args.date,
    })
    if args.stat_before and args.stat_after:
        t0, s0 = cpu_times(args.stat_before)
        t1, s1 = cpu_times(args.stat_after)
        machine["steal_percent_during_run"] = round(100 * (s1 - s0) / max(1, t1 - t0), 1)
    if args.loadavg_before:
        machine["loadavg_before"] = args.loadavg_before.split()[:3]
    if args.loadavg_after:
        machine["loadavg_after"] = args.loadavg_after.split()[:3]
    if args.seconds is not None:
        machine["compare_sh_seconds"] = round(args.seconds)
    probes = [json.load(open(p)) for p in args.host_probe if os.path.exists(p)]
    if probes:
        machine["host_probe"] = probes

    ort = onnxruntime_rows(ng_runs)
    if ort:
        machine["onnxruntime"] = ort
    ort_cnn = onnxruntime_cnn_rows(ng_runs)
    if ort_cnn:
        machine["onnxruntime_cnn"] = ort_cnn
        for r in rows:
            w = ort_cnn["workloads"].get(r["workload"])
            if w is None:
                continue
            # cnn_latency_b1: against the best of PyTorch and ONNX Runtime; cnn_infer_b64: against ONNX Runtime.
            r["ort_best"] = round(w["ort_best_us"] if r["unit"] == "us" else w["rows"] / (w["ort_best_us"] * 1e-6), 3)
            r["ratio_vs_ort"] = w["ratio"]
            r["ratio_vs_best_peer"] = round(min(r["ratio"], w["ratio"]), 3)

    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "latest.json"), "w") as f:
        json.dump(rows, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(args.out_dir, "latest.machine.json"), "w") as f:
        json.dump(machine, f, indent=2, ensure_ascii=False)
        f.write("\n")

    m = machine
    blas = ", ".join(m["torch_blas_library"]) or "none found"
    lines = [
        f"# NetGen vs PyTorch, same run ({m['date']}, commit {m['commit']})",
        "",
        "Written by `bench/compare.sh`; the numbers are in `latest.json`, the machine facts in `latest.machine.json`.",
        "`ratio` is NetGen's advantage: above 1 means NetGen is better (throughput higher, or latency lower).",
        "",
        "| workload | unit | NetGen | PyTorch | ratio | NetGen % of peak | PyTorch % of peak | PyTorch configuration |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['workload']}` | {r['unit']} | {fmt(r['netgen'])} | {fmt(r['pytorch'])} | {r['ratio']:.2f} | "
            f"{fmt(r.get('percent_of_peak'))} | {fmt(r.get('pytorch_percent_of_peak'))} | `{r['pytorch_config']}` |")
    lines += [
        "",
        "Every PyTorch configuration that was measured (each one's best pass):",
        "",
        "| workload | configuration: value |",
        "|---|---|",
    ]
    for r in rows:
        lines.append(f"| `{r['workload']}` | " + ", ".join(
            f"`{c}` {fmt(v)}" for c, v in r["pytorch_configs"].items()) + " |")
    if ort:
        lines += [
            "",
            "## NetGen vs ONNX Runtime (inference peer), same process",
            "",
            f"The benchmark MLP exported with `ExportOnnx`, run by {ort['version']} ({ort['graph_optimization']}), 1 and 2 "
            "intra-op threads, the best kept; each checked against NetGen's `Predict` before it is timed. Each side keeps "
            "its best pass. `ratio` is NetGen's advantage (above 1: NetGen faster).",
            "",
            "| workload | NetGen µs/call | ORT 1 thread µs/call | ORT 2 threads µs/call | ratio (best ORT / NetGen) |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, r in ort["workloads"].items():
            lines.append(f"| `{name}` | {fmt(r['netgen_us'])} | {fmt(r['ort_1t_us'])} | {fmt(r['ort_2t_us'])} | {r['ratio']:.2f} |")
    if ort_cnn:
        lines += [
            "",
            "## Convolution rows against ONNX Runtime, same process",
            "",
            f"The CNN of `cnn_train` exported by `bench/peers/export_cnn_onnx.py` (`torch.onnx.export`, opset 13, static "
            f"batch 1 and 64; committed in `bench/models/`), run by {ort_cnn['version']} ({ort_cnn['graph_optimization']}), "
            "1 and 2 intra-op threads; NetGen loads the same weights and each ORT configuration is checked against its "
            "`Predict` before it is timed. Each side keeps its best pass; `paired` is the median pass of the median "
            "ORT / NetGen time over repetitions that took turns.",
            "",
            "| workload | NetGen µs/call | ORT 1 thread µs/call | ORT 2 threads µs/call | ratio (best ORT / NetGen) | paired, 1 thread | paired, 2 threads |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, r in ort_cnn["workloads"].items():
            lines.append(f"| `{name}` | {fmt(r['netgen_us'])} | {fmt(r['ort_1t_us'])} | {fmt(r['ort_2t_us'])} | "
                         f"{r['ratio']:.2f} | {r['paired_ratio_1t']:.2f} | {r['paired_ratio_2t']:.2f} |")
        conv = [r for r in rows if "flops_per_sample" in next((x for x in ng[r["workload"]]), {})]
        lines += [
            "",
            "Convolution workloads, FLOPs counted from the layer shapes (convolution and dense products: forward, dW and "
            "dx; pooling, activations, loss and update not counted), % of the one-core FMA peak and of the probe on "
            "both cores at once:",
            "",
            "| workload | NetGen GFLOP/s | % of one-core peak | % of two-core probe | PyTorch GFLOP/s | PyTorch % of one-core peak | ratio vs PyTorch | ratio vs ONNX Runtime | ratio vs best peer |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in conv:
            lines.append(f"| `{r['workload']}` | {fmt(r['gflops'])} | {fmt(r['percent_of_peak'])} | "
                         f"{fmt(r.get('percent_of_measured_two_core_peak'))} | {fmt(r['pytorch_gflops'])} | "
                         f"{fmt(r['pytorch_percent_of_peak'])} | {r['ratio']:.2f} | "
                         f"{fmt(r.get('ratio_vs_ort'))} | {fmt(r.get('ratio_vs_best_peer', r['ratio']))} |")
    steal = m.get("steal_percent_during_run")
    lines += [
        "",
        "## Machine and run",
        "",
        f"- CPU: {m['cpu_model']} (cpu family {m.get('cpu_family', '?')}, model {m.get('cpu_model_number', '?')}), "
        f"{m['logical_cpus']} logical CPUs; `/proc/cpuinfo`: avx2 {yn(m['cpuinfo_avx2'])}, "
        f"fma {yn(m['cpuinfo_fma'])}, avx512f {yn(m['cpuinfo_avx512f'])}. "
        f"The .NET JIT: Vector512 accelerated {yn(m['jit_vector512_accelerated'])}, Vector256 accelerated "
        f"{yn(m['jit_vector256_accelerated'])}.",
        f"- FMA peak, one core: **{m['fma_peak_gflops']} GFLOP/s** ({m['fma_peak_isa']}, {chains(ng_runs)} independent "
        f"chains; passes: {', '.join(str(x) for x in m['fma_peak_passes'])}). `% of peak` divides by this figure.",
        f"- FMA peak, the same probe on {m['fma_peak_cores_probed']} cores at once: **{m['fma_peak_all_cores_gflops']} GFLOP/s** "
        f"({m['fma_peak_all_cores_gflops'] / m['fma_peak_gflops']:.2f}× one core; passes: "
        f"{', '.join(str(x) for x in m['fma_peak_all_cores_passes'])}). This bounds the two-core rows of the same run: "
        f"on this VM the vCPUs share physical cores with other guests, so it is often well below 2×.",
    ]
    paired = [r for r in rows if "ratio_vs_openblas_in_process" in r]
    if paired:
        lines.append(
            "- OpenBLAS in NetGen's process (the library `torch.mm` runs on), one thread, taking turns with NetGen's GEMM "
            "repetition by repetition: NetGen / OpenBLAS (median pass of the median paired ratio; passes) " + "; ".join(
                f"`{r['workload']}` **{r['ratio_vs_openblas_in_process']:.2f}×** "
                f"({', '.join(f'{x:.2f}' for x in r['ratio_vs_openblas_in_process_passes'])})" for r in paired) + ".")
    two = next((r for r in rows if "speedup_vs_one_core" in r), None)
    if two is not None:
        lines.append(
            f"- Two cores, `{two['workload']}`: **{two['speedup_vs_one_core']:.2f}× one core** (median of the passes; "
            f"passes: {', '.join(f'{x:.2f}' for x in two['speedup_vs_one_core_passes'])}), each pass the median of "
            f"one-core / two-core time over repetitions that took turns. Two independent one-core products at once "
            f"reached {fmt(two['two_independent_gflops'])} GFLOP/s together (best pass): what this machine gives two "
            f"cores on this workload however it is split; the two-core product reached "
            f"{100 * two['fraction_of_two_independent']:.0f} % of them (median pass; passes: "
            f"{', '.join(f'{100 * x:.0f} %' for x in two['fraction_of_two_independent_passes'])}).")
    lines += [
        f"- NetGen: {m['runtime']}, one thread. {m['netgen_method']}.",
        f"- PyTorch {m['torch']} (Debian), {m['torch_threads']} thread (`torch.set_num_threads(1)`), "
        f"`OPENBLAS_CORETYPE` {'unset' if m['openblas_coretype'] is None else '= ' + m['openblas_coretype']}, "
        f"CPU capability {m['torch_cpu_capability']}, BLAS mapped into the process: `{blas}`. {m['pytorch_method']}.",
        f"- Best configuration per workload: the column above. Each configuration is checked against eager PyTorch "
        f"before it is timed (see `bench/peers/pytorch_peer.py`).",
        f"- {m['passes']} passes, NetGen and PyTorch alternating; each side keeps its best pass per workload "
        f"(all passes are in `latest.json`).",
        f"- Noise: hypervisor steal {steal if steal is not None else '?'} % of CPU time during the run; load average "
        f"{' '.join(m.get('loadavg_before', []))} before, {' '.join(m.get('loadavg_after', []))} after. "
        f"`compare.sh` took {m.get('compare_sh_seconds', '?')} s.",
    ]
    if m.get("host_probe"):
        probes = "; ".join(
            f"round trip {p['round_trip_ns']:.0f} ns, reading what the other core wrote {p['other_read_gbs']} GB/s "
            f"against {p['own_read_gbs']} GB/s from its own cache" for p in m["host_probe"])
        lines.append(
            f"- Between the two vCPUs (`NetGen.Bench --host-probe`, before and after the passes): {probes}. Every "
            f"two-thread figure, NetGen's and the peers', depends on these: compare them with the run you compare "
            f"against (docs/adr/0055).")
    lines.append("")
    with open(os.path.join(args.out_dir, "latest.md"), "w") as f:
        f.write("\n".join(lines))


def onnxruntime_rows(runs):
    """ONNX Runtime figures of the NetGen passes (compare mode's "onnxruntime" object): per workload, each side's best
    pass (lowest time), ORT's best over its thread counts, and the ratio of the two bests."""
    passes = [r["onnxruntime"] for r in runs if "onnxruntime" in r]
    if not passes:
        return None
    out = {"version": passes[0]["version"], "graph_optimization": passes[0]["graph_optimization"], "workloads": {}}
    for name in ("mlp_latency_b1", "mlp_infer_b64"):
        rows = [p[name] for p in passes if name in p]
        if not rows:
            continue
        best = {k: min(r[k] for r in rows) for k in ("netgen_us", "ort_1t_us", "ort_2t_us")}
        best["ratio"] = round(min(best["ort_1t_us"], best["ort_2t_us"]) / best["netgen_us"], 3)
        best["rows"] = rows[0]["rows"]
        out["workloads"][name] = best
    return out


LOWER_IS_BETTER = ("us", "s")


def gflops_of(workload, unit, value, flops_per_sample):
    """GFLOP/s of a convolution row from its value: samples/s, µs per one-sample call, or seconds per 60,000-sample epoch."""
    if unit == "samples/s":
        return value * flops_per_sample / 1e9
    if unit == "us":
        return flops_per_sample / (value * 1e-6) / 1e9
    if unit == "s":
        return 60000 * flops_per_sample / value / 1e9
    raise ValueError(f"{workload}: unit {unit}")


def onnxruntime_cnn_rows(runs):
    """ONNX Runtime on the CNN (compare mode's "onnxruntime_cnn" object): each side's best pass, the ratio of the two
    bests, and the median pass of the paired ratios."""
    passes = [r["onnxruntime_cnn"] for r in runs if "onnxruntime_cnn" in r]
    if not passes:
        return None
    out = {"version": passes[0]["version"], "graph_optimization": passes[0]["graph_optimization"], "workloads": {}}
    for name in ("cnn_latency_b1", "cnn_infer_b64"):
        rows = [p[name] for p in passes if name in p]
        if not rows:
            continue
        best = {k: min(r[k] for r in rows) for k in ("netgen_us", "ort_1t_us", "ort_2t_us")}
        best["ort_best_us"] = min(best["ort_1t_us"], best["ort_2t_us"])
        best["ratio"] = round(best["ort_best_us"] / best["netgen_us"], 3)
        for k in ("paired_ratio_1t", "paired_ratio_2t"):
            best[k] = median([r[k] for r in rows])
            best[k + "_passes"] = [r[k] for r in rows]
        best["rows"] = rows[0]["rows"]
        out["workloads"][name] = best
    return out


def yn(b):
    return "yes" if b else "no"


def chains(runs):
    return runs[0]["fma_peak"].get("chains", "?")


if __name__ == "__main__":
    main()
