#!/usr/bin/python3
"""Self-test of bench/cuda_compare.py (standard library only; run by .ci/run): `python3 bench/test_cuda_compare.py`.

Made-up NetGen and PyTorch files with known times: the ratios (PyTorch's time over NetGen's), the best configuration of
each family, every goal met, missed or n/a (an error, a missing row, a batch that differs), the REHEARSAL mark, and the
files written."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cuda_compare  # noqa: E402


def stats(us):
    return {"median_us": us, "mean_us": us, "min_us": us, "rows_per_s": 0.0, "first_call_us": us, "reps": 3, "inner": 1}


def netgen_row(workload, batch, us, unit="samples/s"):
    return dict(stats(us), workload=workload, batch=batch, unit=unit, config="cuda_graphs",
                configs={"cuda_graphs": stats(us), "launch_by_launch": stats(2 * us)})


def pytorch_row(workload, batch, configs):
    row = {"workload": workload, "batch": batch, "unit": "samples/s", "configs": configs}
    row["best_eager"] = cuda_compare_best(configs, "eager")
    row["best_compile"] = cuda_compare_best(configs, "compile")
    return row


def cuda_compare_best(configs, prefix):
    timed = {c: v for c, v in configs.items() if c.startswith(prefix) and "median_us" in v}
    return min(timed, key=lambda c: timed[c]["median_us"]) if timed else None


NETGEN = {"side": "netgen", "device": "NVIDIA H200", "date_utc": "2026-12-02T10:00:00Z", "emulated_driver": False,
          "quick": False, "results": [
              netgen_row("mlp_train_b64", 64, 100.0),
              netgen_row("cnn_train_b64", 64, 200.0),
              netgen_row("mlp_train_b4096", 4096, 1000.0),
              netgen_row("mlp_latency_b1", 1, 20.0, "us"),
              netgen_row("cnn_latency_b1", 1, 30.0, "us")]}
PYTORCH = {"side": "pytorch", "device": "NVIDIA H200", "requested_device": "cuda", "complete": True, "results": [
    # eager best 250 (eager_fused), compile best 90: 2.5x eager (met), 0.9x compile (missed)
    pytorch_row("mlp_train_b64", 64, {"eager": stats(300.0), "eager_fused": stats(250.0),
                                      "compile": stats(90.0), "compile_step": {"error": "boom"}}),
    # eager 300: 1.5x (missed); compile failed: n/a with its error
    pytorch_row("cnn_train_b64", 64, {"eager": stats(300.0), "compile": {"error": "RuntimeError: no triton"}}),
    # best of all 850 (compile): 0.85x >= 0.8 (met)
    pytorch_row("mlp_train_b4096", 4096, {"eager": stats(900.0), "compile": stats(850.0)}),
    # a different batch: every goal n/a
    pytorch_row("mlp_latency_b1", 2, {"eager_no_grad": stats(40.0), "compile": stats(25.0)}),
    # cnn_latency_b1 missing: n/a
]}


class CudaCompareTests(unittest.TestCase):
    def setUp(self):
        self.rows = {r["workload"]: r for r in cuda_compare.merge(NETGEN, PYTORCH)}

    def goals(self, workload):
        return [(g["against"], g["met"]) for g in self.rows[workload]["goals"]]

    def test_ratios_are_pytorch_time_over_netgen_time_against_the_best_configuration(self):
        r = self.rows["mlp_train_b64"]
        self.assertEqual(r["pytorch"]["eager"]["config"], "eager_fused")
        self.assertEqual(r["ratios"]["vs_eager"], 2.5)
        self.assertEqual(r["ratios"]["vs_compile"], 0.9)
        self.assertEqual(self.goals("mlp_train_b64"), [("eager", True), ("compile", False)])

    def test_a_failed_compile_is_not_applicable_with_its_error(self):
        self.assertEqual(self.goals("cnn_train_b64"), [("eager", False), ("compile", None)])
        self.assertIn("no triton", self.rows["cnn_train_b64"]["goals"][1]["why"])

    def test_batch_4096_is_compared_with_the_best_of_pytorch(self):
        self.assertEqual(self.rows["mlp_train_b4096"]["ratios"]["vs_best"], 0.85)
        self.assertEqual(self.goals("mlp_train_b4096"), [("best", True)])

    def test_a_different_batch_or_a_missing_row_is_never_met(self):
        self.assertEqual(self.goals("mlp_latency_b1"), [("compile", None)])
        self.assertIn("batch differs", self.rows["mlp_latency_b1"]["goals"][0]["why"])
        self.assertEqual(self.goals("cnn_latency_b1"), [("compile", None)])

    def test_the_script_writes_the_json_and_the_markdown(self):
        with tempfile.TemporaryDirectory() as d:
            for name, doc in (("n.json", NETGEN), ("p.json", dict(PYTORCH, requested_device="cpu", device="cpu"))):
                with open(os.path.join(d, name), "w") as f:
                    json.dump(doc, f)
            subprocess.run([sys.executable, os.path.join(HERE, "cuda_compare.py"), "--netgen", os.path.join(d, "n.json"),
                            "--pytorch", os.path.join(d, "p.json"), "--out-dir", d], check=True, capture_output=True)
            with open(os.path.join(d, "cuda-2026-12-02.json")) as f:
                doc = json.load(f)
            with open(os.path.join(d, "cuda-2026-12-02.md")) as f:
                md = f.read()
        self.assertEqual(len(doc["results"]), 5)
        self.assertIn("PyTorch on cpu", doc["rehearsal"])
        self.assertIn("**REHEARSAL**", md)
        self.assertIn("| `mlp_train_b64` | 64 | 100.0 µs", md)
        self.assertIn("≥ 2× eager: **met**; ≥ 1× compile: **missed**", md)


if __name__ == "__main__":
    unittest.main(verbosity=1)
