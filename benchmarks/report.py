"""Results as JSON (every sample, for later analysis) and as a markdown table (for the README).

The JSON goes to ``benchmarks/results/latest.json`` (gitignored: it is machine-specific and
large); the markdown to ``benchmarks/results/latest.md`` and stdout.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .harness import ImplResult, WorkloadResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def to_json(run: dict[str, Any]) -> str:
    """The run (header dict + list of ``WorkloadResult``) as indented JSON."""

    def default(obj):
        if dataclasses.is_dataclass(obj):
            data = dataclasses.asdict(obj)
            if isinstance(obj, ImplResult):
                data["iqr_ns"] = obj.iqr_ns
            return data
        raise TypeError(f"not JSON serializable: {type(obj).__name__}")

    return json.dumps(run, default=default, indent=1)


def _cell(text: Any) -> str:
    """Make a value safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt_time(ns: float | None, unit: str) -> str:
    if ns is None:
        return "-"
    if unit == "us" or ns < 1e5:
        return f"{ns / 1e3:.3g} us" if ns < 1e6 else f"{ns / 1e6:.3g} ms"
    if ns >= 1e9:
        return f"{ns / 1e9:.3g} s"
    return f"{ns / 1e6:.3g} ms"


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def _fmt_iqr(res: ImplResult, unit: str) -> str:
    """IQR with its size relative to the median: a large one flags a noisy measurement."""
    if res.iqr_ns is None or not res.median_ns:
        return "-"
    return f"{_fmt_time(res.iqr_ns, unit)} ({res.iqr_ns / res.median_ns:.0%})"


def _row(wl: WorkloadResult, res: ImplResult) -> str:
    label = res.impl
    if res.scaled_from:
        label = "python (eager, scaled)"
    elif res.impl == "numpy" and wl.numpy_baseline != "shared source":
        label = "numpy (vectorized)"
    if not res.available:
        return (
            f"| {wl.name} | {label} | - | - | - | - | unavailable: {_cell(res.reason)} | - |"
        )
    first = "-" if res.first_call_ms is None else _fmt_time(res.first_call_ms * 1e6, "ms")
    if res.check is None or res.check.ok:
        check = "ok"
    elif res.check.known_deviation:
        check = f"differs: {res.check.detail.removeprefix('values ok; ')}, values ok ({res.check.known_deviation})"
    else:
        check = f"**WRONG**: {res.check.detail}"
    bw = "-"
    if res.bandwidth_fraction is not None:
        bw = f"{res.gb_per_s:.1f} GB/s ({res.bandwidth_fraction:.0%})"
    elif res.gb_per_s is not None:
        bw = f"{res.gb_per_s:.1f} GB/s"
    return (
        f"| {wl.name} | {label} | {first} | {_fmt_time(res.median_ns, wl.unit)} | "
        f"{_fmt_iqr(res, wl.unit)} | {_fmt_ratio(res.vs_numpy)} | {_cell(check)} | {bw} |"
    )


def to_markdown(run: dict[str, Any]) -> str:
    """The human report: header, per-implementation table, flowjit ratios, targets, notes."""
    h = run["header"]
    m = h["machine"]
    v = h["versions"]
    bw = h["copy_bandwidth"]
    vers = ", ".join(f"{k} {val}" for k, val in v.items() if val is not None and k != "flowjit_commit")
    if v.get("flowjit_commit"):
        vers += f" (commit {v['flowjit_commit']})"
    missing = [f"{k} ({why})" for k, why in h.get("unavailable", {}).items() if k != "flowjit"]
    lines = [
        f"# flowjit benchmarks ({'quick' if h['quick'] else 'full'} run)",
        "",
        f"- Date: {h['date']}",
        f"- Machine: {m['cpu_model']}, {m['cpu_count']} logical cores "
        f"({m['cpus_allowed']} used), {m.get('memory_gib', '?')} GiB; "
        f"threads: {m['threads_setting']}; load average at start: "
        f"{m.get('load_average_1m', '?')}",
        f"- Versions: {vers}" + (f"; not run: {', '.join(missing)}" if missing else ""),
        f"- Memory bandwidth (NumPy copy, read + write): {bw['gb_per_s']:.1f} GB/s",
        "- One-time library warm-up before the workloads (excluded from first calls): "
        + (", ".join(f"{k} {ms:.0f} ms" for k, ms in h.get("warm_up_ms", {}).items()) or "none"),
        f"- Method: first call = build + trace + compile + run; steady state = median (and IQR) "
        f"per call over {h['rounds']} interleaved rounds after warm-up; ratios are medians of "
        f"per-round ratios (>1 = faster than the other).",
        "",
    ]
    load = m.get("load_average_1m")
    if isinstance(load, (int, float)) and load > 0.5 * (m.get("cpu_count") or 1):
        lines += [
            f"**Warning: the machine was busy** (load average {load} on {m['cpu_count']} "
            "cores when the run started). Absolute times are inflated and noisy (see the IQR "
            "column); multithreaded BLAS rows (`mlp_layer`, `rnn`) can be slowed by orders of "
            "magnitude by thread oversubscription. Ratios from interleaved rounds are more "
            "robust, but prefer an idle machine and `--threads 1`.",
            "",
        ]
    if h.get("flowjit_unavailable"):
        lines += [f"**flowjit unavailable**: {_cell(h['flowjit_unavailable'])}", ""]

    lines += [
        "## Results",
        "",
        "| workload | implementation | first call | steady median | IQR (% of median) | vs NumPy | check | bandwidth |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    workloads: list[WorkloadResult] = run["workloads"]
    # A peer that is not installed gets no rows (the header says so); flowjit always keeps
    # its rows, so its "unavailable: <reason>" is visible per workload.
    absent = {n for n in h.get("unavailable", {}) if n != "flowjit"}
    for wl in workloads:
        for res in wl.results.values():
            if res.impl not in absent:
                lines.append(_row(wl, res))

    peers = [
        p for p in ("numpy", "numba", "jax", "tensorflow")
        if p not in absent and any(p in wl.results for wl in workloads)
    ]
    lines += [
        "",
        "## flowjit speed-up over each implementation (same rounds)",
        "",
        "| workload | size | " + " | ".join(f"vs {p}" for p in peers) + " |",
        "|---|---|" + "---:|" * len(peers),
    ]
    for wl in workloads:
        cells = []
        for p in peers:
            r = wl.ratios.get("flowjit", {}).get(p)
            cells.append(_fmt_ratio(r))
        lines.append(f"| {wl.name} | {_cell(wl.size)} | " + " | ".join(cells) + " |")

    counts = {"pass": 0, "fail": 0, "n/a": 0}
    for wl in workloads:
        for t in wl.targets:
            counts[t.status] = counts.get(t.status, 0) + 1
    lines += [
        "",
        "## Targets (issue #5)",
        "",
        f"{counts['pass']} pass, {counts['fail']} fail, {counts['n/a']} not measurable "
        "(flowjit or the peer unavailable). A wrong flowjit result fails every target.",
        "",
        "| workload | target | measured | status | detail |",
        "|---|---|---:|---|---|",
    ]
    for wl in workloads:
        for t in wl.targets:
            if t.detail.startswith("flowjit unavailable"):
                # The full reason is in the Results table (and the JSON); one is enough.
                t = dataclasses.replace(t, detail="flowjit unavailable (see Results)")
            status = {"pass": "PASS", "fail": "**FAIL**"}.get(t.status, t.status)
            lines.append(f"| {wl.name} | {_cell(t.target)} | {t.measured} | {status} | {_cell(t.detail)} |")

    notes = []
    for wl in workloads:
        notes += [f"- `{wl.name}`: {n}" for n in wl.notes]
        py = wl.results.get("python")
        if py is not None and py.scaled_from:
            notes.append(f"- `{wl.name}` python row: {py.scaled_from}; its ratio is of medians, not paired.")
        if wl.bytes_moved:
            notes.append(
                f"- `{wl.name}`: {wl.bytes_moved / 1e6:.1f} MB compulsory memory traffic per call "
                f"(full fusion assumed; definition in benchmarks/workloads.py)."
            )
    if any(wl.bytes_moved for wl in workloads):
        notes.append(
            "- Bandwidth = compulsory bytes / median time, as a fraction of the copy bandwidth "
            "above; over 100% means the working set fits in cache."
        )
    notes.append(
        "- JAX runs idiomatic `jnp`/`lax` versions (benchmarks/jax_versions.py) with x64 enabled, "
        "inputs already on the device; Numba and flowjit run the same source as NumPy."
    )
    lines += ["", "## Notes", ""] + notes + [""]
    return "\n".join(lines)


def write(run: dict[str, Any], out_dir: Path = RESULTS_DIR, stem: str = "latest") -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stem}.json"
    md_path = out_dir / f"{stem}.md"
    json_path.write_text(to_json(run))
    md_path.write_text(to_markdown(run))
    return json_path, md_path
