"""Smoke test of the benchmark suite (benchmarks/): correctness only, at ``--quick`` sizes.

Every implementation that is available here (NumPy, and flowjit, Numba, JAX, TensorFlow when
they import and accept the workload) must match NumPy: same dtype, shape and values within the
workload's tolerance. A documented semantic difference of a *peer* (Numba computing GELU in
float64 because it ignores NEP 50) is accepted; flowjit has no such allowance. Rows that are
unavailable (library missing, workload not supported yet) are not asserted on: the benchmark
table reports them. No timing is asserted. Budget: under 20 s (Numba's kmeans_step compile is
left to the full suite). Importing JAX here enables its x64 mode for this
process.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import harness, peers, report, workloads  # importable: see conftest.py


@pytest.fixture(scope="module")
def impls():
    return peers.make_impls()


# Numba needs ~6 s (more on a busy machine) to compile kmeans_step, over a third of this
# file's budget; the full suite still checks it on every run.
SKIPPED_FOR_TIME = {("numba", "kmeans_step")}


@pytest.mark.parametrize("name", list(workloads.WORKLOADS))
def test_every_available_implementation_matches_numpy(name, impls):
    impls = [i for i in impls if (i.name, name) not in SKIPPED_FOR_TIME]
    outcome = harness.check_workload(workloads.WORKLOADS[name], impls, quick=True)
    assert isinstance(outcome["numpy"], harness.Check) and outcome["numpy"].ok
    wrong = {
        impl: check.detail
        for impl, check in outcome.items()
        if isinstance(check, harness.Check) and not check.ok and not check.known_deviation
    }
    assert not wrong, f"{name}: results differ from NumPy: {wrong}"


def test_flowjit_known_deviations_are_never_allowed():
    assert peers.FlowjitImpl().known_deviation("values ok; dtype float64 != float32") is None


def test_select_rejects_unknown_workload():
    with pytest.raises(ValueError, match="nope"):
        workloads.select("gelu,nope")
    assert [w.name for w in workloads.select("rnn,gelu")] == ["gelu", "rnn"]


def test_check_output_catches_dtype_and_values():
    w = workloads.WORKLOADS["gelu"]
    ref = (workloads.gelu(w.inputs(quick=True)[0]))
    assert harness.check_output(w, ref, ref.copy()).ok
    assert not harness.check_output(w, ref, ref.astype("float64")).ok
    assert not harness.check_output(w, ref, ref + 1).ok


def test_harness_and_report_render(tmp_path):
    # A tiny timed run through every stage (rounds, ratios, targets, JSON, markdown).
    impls = peers.make_impls("numpy,flowjit")
    wl = harness.run_workload(
        workloads.WORKLOADS["dispatch"], impls, quick=True, rounds=2,
        min_sample_ns=100_000, warmup_ns=0, copy_gb_per_s=10.0, log=lambda s: None,
    )
    run = {
        "header": {
            "date": "today", "quick": True, "rounds": 2, "min_sample_ms": 0.1,
            "machine": {"cpu_model": "x", "cpu_count": 1, "cpus_allowed": 1,
                        "threads_setting": 1},
            "versions": {"python": "3", "numpy": "2", "flowjit": None, "flowjit_commit": None},
            "copy_bandwidth": {"gb_per_s": 10.0},
            "flowjit_unavailable": impls[1].unavailable_reason,
        },
        "workloads": [wl],
    }
    json_path, md_path = report.write(run, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["workloads"][0]["results"]["numpy"]["median_ns"] > 0
    text = md_path.read_text()
    assert "| dispatch | numpy |" in text and "## Targets" in text


def test_cli_check_only_and_list(capsys):
    from benchmarks.__main__ import main

    assert main(["--list"]) == 0
    assert "kmeans_step" in capsys.readouterr().out
    assert main(["--check-only", "--quick", "--only", "dispatch", "--impls", "numpy"]) == 0
    assert "dispatch" in capsys.readouterr().out
    assert main(["--only", "nope"]) == 2
