"""Timing and correctness: first call, warm-up, interleaved rounds, statistics, targets.

Method (why it is done this way):

- **First call** is timed from building the callable (``fj.function(fn)``, ``numba.njit(fn)``,
  ``jax.jit(fn)``) to the synced result of its first call, so it includes trace + compile +
  run. Converting inputs (``prepare``) is excluded: a user's data would already be in place.
- **Correctness**: every implementation's first result is compared with NumPy's: same dtype,
  same shape, values within the workload's ``atol + rtol * |ref|``. A wrong row is still
  timed, and shown as wrong; a wrong flowjit row fails every target.
- **Warm-up** calls (excluded from the statistics) settle caches and lazy initialisation and
  measure the call time, from which the number of calls per sample is chosen so that one
  sample lasts at least ``min_sample_ns`` (timer resolution and loop overhead then vanish,
  which is what makes microsecond-scale ``dispatch`` measurable).
- **Interleaved rounds**: in each round every implementation takes one sample, in an order
  rotated by one each round. Machine noise (frequency changes, other processes) therefore hits
  all implementations alike, and each ratio is the median of *per-round* ratios, paired
  within a round, rather than a ratio of medians taken at different times.
- Statistics are per call: median and interquartile range over the rounds. The garbage
  collector is off while sampling, as ``timeit`` does.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .peers import Impl, PythonImpl, describe_exception
from .workloads import Target, Workload, size_text


@dataclass
class Check:
    """Outcome of comparing one result with NumPy's."""

    ok: bool
    detail: str
    dtype: str
    ref_dtype: str
    max_abs_err: float | None = None
    #: A documented semantic difference of a peer explaining ``ok=False`` (see
    #: ``Impl.known_deviation``); the smoke test accepts these, the report shows them.
    known_deviation: str | None = None


@dataclass
class ImplResult:
    """Everything measured for one implementation on one workload (times in ns per call)."""

    impl: str
    available: bool
    reason: str | None = None
    first_call_ms: float | None = None
    check: Check | None = None
    inner: int | None = None
    samples_ns: list[float] = field(default_factory=list)
    median_ns: float | None = None
    q1_ns: float | None = None
    q3_ns: float | None = None
    vs_numpy: float | None = None
    gb_per_s: float | None = None
    bandwidth_fraction: float | None = None
    #: For the eager-Python row: how its time was obtained (reduced size, scale factor).
    scaled_from: str | None = None

    @property
    def iqr_ns(self) -> float | None:
        """Interquartile range of the per-call samples."""
        if self.q1_ns is None or self.q3_ns is None:
            return None
        return self.q3_ns - self.q1_ns


@dataclass
class TargetResult:
    """A target of the issue evaluated on flowjit's numbers."""

    target: str
    status: str  # "pass" | "fail" | "n/a"
    measured: str
    detail: str = ""


@dataclass
class WorkloadResult:
    """One workload: per-implementation results, pairwise ratios, targets."""

    name: str
    description: str
    size: str
    numpy_baseline: str
    unit: str
    results: dict[str, ImplResult]
    #: ``ratios[a][b]``: how many times faster ``a`` is than ``b`` (median of per-round ratios).
    ratios: dict[str, dict[str, float]]
    targets: list[TargetResult]
    bytes_moved: int | None
    rounds: int
    notes: list[str]


def check_output(workload: Workload, ref: Any, out: Any) -> Check:
    """Compare a result with NumPy's reference: dtype, shape, then values within tolerance."""
    ref = np.asarray(ref)
    got = np.asarray(out)
    problems = []
    if got.dtype != ref.dtype:
        problems.append(f"dtype {got.dtype} != {ref.dtype}")
    if got.shape != ref.shape:
        problems.append(f"shape {got.shape} != {ref.shape}")
        return Check(False, "; ".join(problems), str(got.dtype), str(ref.dtype))
    if ref.dtype.kind in "biu" and got.dtype.kind in "biu":
        diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        values_ok = bool(np.array_equal(got, ref))
    else:
        g = got.astype(np.float64)
        r = ref.astype(np.float64)
        diff = np.abs(g - r)
        close = diff <= workload.atol + workload.rtol * np.abs(r)
        close |= np.isnan(g) & np.isnan(r)
        values_ok = bool(np.all(close))
    max_err = float(np.nanmax(diff)) if diff.size else 0.0
    if not values_ok:
        problems.append(f"values differ (max abs err {max_err:.3g})")
    detail = "; ".join(problems) if problems else "ok"
    if problems and values_ok:
        detail = "values ok; " + detail
    return Check(not problems, detail, str(got.dtype), str(ref.dtype), max_err)


def _checked(impl: Impl, workload: Workload, ref: Any, out: Any) -> Check:
    """``check_output`` on the implementation's result, annotated with a known deviation."""
    check = check_output(workload, ref, impl.to_numpy(out))
    if not check.ok:
        check.known_deviation = impl.known_deviation(check.detail)
    return check


def _first_call(impl: Impl, workload: Workload, args: tuple):
    """Build and call once. Returns ``(callable, prepared args, output, first-call ns)``;
    raises ``peers.Unavailable`` or whatever the library raised."""
    prepared = impl.prepare(args)
    t0 = time.perf_counter_ns()
    fn = impl.build(workload)
    out = impl.sync(fn(*prepared))
    elapsed = time.perf_counter_ns() - t0
    return fn, prepared, out, elapsed


def check_workload(workload: Workload, impls: list[Impl], quick: bool = True) -> dict[str, Any]:
    """Correctness only (no timing): each available implementation's result against NumPy's.

    Returns ``{impl name: Check or "unavailable: <reason>"}``; NumPy's own entry is its check
    against itself. Used by the smoke test and by ``--check-only``.
    """
    args = workload.inputs(quick)
    ref = workload.baseline(*args)
    outcome: dict[str, Any] = {}
    for impl in impls:
        if impl.unavailable_reason is not None:
            outcome[impl.name] = f"unavailable: {impl.unavailable_reason}"
            continue
        try:
            _, _, out, _ = _first_call(impl, workload, args)
        except Exception as exc:  # noqa: BLE001 - a failing implementation is a table row
            outcome[impl.name] = f"unavailable: {describe_exception(exc)}"
            continue
        outcome[impl.name] = _checked(impl, workload, ref, out)
    reduced = workload.reduced_inputs(quick)
    if reduced is not None:
        # The shared scalar source, run eagerly, must agree with the vectorized baseline.
        outcome["python"] = check_output(workload, workload.baseline(*reduced), workload.fn(*reduced))
    return outcome


def _time_calls(fn: Callable, args: tuple, sync: Callable, calls: int) -> int:
    """Wall time in ns of ``calls`` back-to-back synced calls."""
    t0 = time.perf_counter_ns()
    for _ in range(calls):
        sync(fn(*args))
    return time.perf_counter_ns() - t0


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    q1, med, q3 = np.percentile(np.asarray(samples), [25, 50, 75])
    return float(q1), float(med), float(q3)


def run_workload(
    workload: Workload,
    impls: list[Impl],
    *,
    quick: bool,
    rounds: int,
    min_sample_ns: int,
    warmup_ns: int,
    copy_gb_per_s: float | None,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> WorkloadResult:
    """Run one workload on every implementation and return all its numbers (see module doc)."""
    args = workload.inputs(quick)
    results: dict[str, ImplResult] = {}
    live: dict[str, tuple[Impl, Callable, tuple]] = {}
    ref = None

    # First calls, NumPy first: its output is the reference for every check.
    for impl in impls:
        res = ImplResult(impl=impl.name, available=False)
        results[impl.name] = res
        if impl.unavailable_reason is not None:
            res.reason = impl.unavailable_reason
            continue
        try:
            fn, prepared, out, first_ns = _first_call(impl, workload, args)
        except Exception as exc:  # noqa: BLE001 - a failing implementation is a table row
            res.reason = describe_exception(exc)
            log(f"  {impl.name}: unavailable: {res.reason}")
            continue
        res.available = True
        res.first_call_ms = first_ns / 1e6
        out_np = impl.to_numpy(out)
        if ref is None:
            ref = out_np  # the NumPy row comes first
        res.check = _checked(impl, workload, ref, out)
        live[impl.name] = (impl, fn, prepared)
        log(f"  {impl.name}: first call {res.first_call_ms:.3g} ms, check: {res.check.detail}")

    # Warm-up: excluded from statistics; its fastest call sets the calls per sample.
    for name, (impl, fn, prepared) in live.items():
        best = math.inf
        spent = 0
        calls = 0
        while calls < 2 or (spent < warmup_ns and calls < 1000):
            ns = _time_calls(fn, prepared, impl.sync, 1)
            best = min(best, ns)
            spent += ns
            calls += 1
        results[name].inner = max(1, min(1_000_000, math.ceil(min_sample_ns / max(best, 1))))

    # Interleaved rounds, order rotated each round.
    names = list(live)
    per_round: dict[str, list[float]] = {n: [] for n in names}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            for k in range(len(names)):
                name = names[(r + k) % len(names)]
                impl, fn, prepared = live[name]
                inner = results[name].inner
                per_round[name].append(_time_calls(fn, prepared, impl.sync, inner) / inner)
    finally:
        if gc_was_enabled:
            gc.enable()

    for name in names:
        res = results[name]
        res.samples_ns = per_round[name]
        if res.samples_ns:
            res.q1_ns, res.median_ns, res.q3_ns = _percentiles(res.samples_ns)

    # Paired ratios from the same rounds.
    ratios: dict[str, dict[str, float]] = {}
    for a in names:
        ratios[a] = {}
        for b in names:
            if a != b and per_round[a] and per_round[b]:
                paired = [tb / ta for ta, tb in zip(per_round[a], per_round[b])]
                ratios[a][b] = float(np.median(paired))
    for name in names:
        if name != "numpy" and "numpy" in ratios.get(name, {}):
            results[name].vs_numpy = ratios[name]["numpy"]
        elif name == "numpy":
            results[name].vs_numpy = 1.0

    notes = list(workload.notes)
    if workload.eager_reduced is not None and ref is not None:
        results["python"] = _eager_scaled(workload, quick, results.get("numpy"), log)

    bytes_moved = None
    if workload.bytes_moved is not None and ref is not None:
        bytes_moved = int(workload.bytes_moved(args, ref))
        for res in results.values():
            if res.median_ns and res.scaled_from is None:
                res.gb_per_s = bytes_moved / res.median_ns
                if copy_gb_per_s:
                    res.bandwidth_fraction = res.gb_per_s / copy_gb_per_s

    wl = WorkloadResult(
        name=workload.name,
        description=workload.description,
        size=size_text(workload, quick),
        numpy_baseline="vectorized NumPy formulation" if workload.numpy_fn else "shared source",
        unit=workload.unit,
        results=results,
        ratios=ratios,
        targets=[],
        bytes_moved=bytes_moved,
        rounds=rounds,
        notes=notes,
    )
    wl.targets = [evaluate_target(t, wl) for t in workload.targets]
    return wl


def _eager_scaled(workload: Workload, quick: bool, numpy_res: ImplResult | None, log) -> ImplResult:
    """Time the shared scalar source eagerly on the reduced problem and scale per item."""
    impl = PythonImpl()
    impl.load()
    full = workload.inputs(quick)
    reduced = workload.reduced_inputs(quick)
    ref = workload.baseline(*reduced)
    scale = workload.items(full) / workload.items(reduced)
    res = ImplResult(impl="python", available=True)
    times = []
    out = None
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter_ns()
        out = workload.fn(*reduced)
        times.append((time.perf_counter_ns() - t0) * scale)
    res.check = check_output(workload, ref, out)
    res.samples_ns = times
    res.q1_ns, res.median_ns, res.q3_ns = _percentiles(times)
    size = ", ".join(f"{k}={v:,}" for k, v in workload.eager_reduced["quick" if quick else "full"].items())
    res.scaled_from = f"eager Python on {size}, x{scale:g} per item"
    if numpy_res is not None and numpy_res.median_ns:
        # Not paired with the rounds (eager Python is too slow to interleave): ratio of medians.
        res.vs_numpy = numpy_res.median_ns / res.median_ns
    log(f"  python (eager, scaled x{scale:g}): {res.median_ns / 1e6:.1f} ms, check: {res.check.detail}")
    return res


def evaluate_target(target: Target, wl: WorkloadResult) -> TargetResult:
    """Pass/fail of one target on flowjit's measurements ("n/a" when they cannot be judged)."""
    desc = target.describe()
    fj = wl.results.get("flowjit")
    if fj is None or not fj.available:
        reason = fj.reason if fj is not None else "not run"
        return TargetResult(desc, "n/a", "-", f"flowjit unavailable: {reason}")
    wrong = "" if fj.check is None or fj.check.ok else f"flowjit result wrong ({fj.check.detail})"

    def verdict(ok: bool, measured: str, detail: str = "") -> TargetResult:
        if wrong:
            return TargetResult(desc, "fail", measured, wrong)
        return TargetResult(desc, "pass" if ok else "fail", measured, detail)

    if target.kind == "speedup":
        other = wl.results.get(target.against)
        if other is None or not other.available:
            why = other.reason if other is not None else "not run"
            return TargetResult(desc, "n/a", "-", f"{target.against} unavailable: {why}")
        ratio = wl.ratios.get("flowjit", {}).get(target.against)
        if ratio is None:
            return TargetResult(desc, "n/a", "-", "no paired rounds")
        return verdict(ratio >= target.value, f"{ratio:.2f}x")
    if target.kind == "max_time_us":
        us = fj.median_ns / 1e3
        return verdict(us <= target.value, f"{us:.2f} us")
    if target.kind == "first_call_ms":
        return verdict(fj.first_call_ms <= target.value, f"{fj.first_call_ms:.1f} ms")
    if target.kind == "bandwidth":
        if fj.bandwidth_fraction is None:
            return TargetResult(desc, "n/a", "-", "copy bandwidth not measured")
        return verdict(fj.bandwidth_fraction >= target.value, f"{fj.bandwidth_fraction:.0%}")
    raise ValueError(f"unknown target kind {target.kind!r}")
