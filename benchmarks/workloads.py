"""The benchmark workloads of issue #5, as a registry of small dataclasses.

Each workload has *one* plain Python + NumPy source function (``Workload.fn``). The same
function object is run eagerly by NumPy, handed to ``numba.njit`` and to ``fj.function``, so
the comparison is between compilers of identical source, not between hand-tuned rewrites.
JAX cannot run that source (it needs ``jnp`` and ``lax`` loops), so its idiomatic versions live
in ``jax_versions.py`` under the same names; likewise ``tf_versions.py`` for TensorFlow.

Two workloads (``mandelbrot``, ``collatz_total``) are scalar loops that eager Python runs far
too slowly on the full problem. For those the NumPy baseline is a *vectorized NumPy
formulation* (``Workload.numpy_fn``) that computes exactly the same result, and the eager
Python run of the shared source is timed separately on a reduced problem and scaled per item
(``Workload.eager_reduced``); the report labels both.

This module imports only NumPy: it must stay importable without any peer installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# Targets (what issue #5 asks of flowjit)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One pass/fail goal for flowjit on a workload.

    kind:
      - ``"speedup"``: flowjit's steady-state time must be at least ``value`` times faster than
        implementation ``against`` (median of the per-round ratios, same rounds);
      - ``"max_time_us"``: flowjit's steady-state time per call at most ``value`` microseconds;
      - ``"first_call_ms"``: flowjit's first call (trace + compile + run) at most ``value`` ms;
      - ``"bandwidth"``: flowjit achieves at least ``value`` of the measured copy bandwidth.
    """

    kind: str
    value: float
    against: str | None = None

    def describe(self) -> str:
        """Human-readable form used in the report, e.g. ``>= 3x numpy``."""
        if self.kind == "speedup":
            return f">= {self.value:g}x {self.against}"
        if self.kind == "max_time_us":
            return f"<= {self.value:g} us/call"
        if self.kind == "first_call_ms":
            return f"first call <= {self.value:g} ms"
        if self.kind == "bandwidth":
            return f">= {self.value:.0%} of copy bandwidth"
        raise ValueError(f"unknown target kind {self.kind!r}")


# Every workload shares these two (issue #5: "first call <= 150 ms for every workload",
# "memory-bound kernels >= 70% of measured copy bandwidth").
FIRST_CALL = Target("first_call_ms", 150.0)
BANDWIDTH = Target("bandwidth", 0.70)


@dataclass(frozen=True)
class Workload:
    """One benchmark problem.

    Attributes:
      name: registry key, used by ``--only`` and in the report.
      description: one line for the report.
      fn: the shared plain Python + NumPy source (NumPy eager, Numba, flowjit).
      make_inputs: ``make_inputs(rng, **size) -> tuple`` of positional arguments.
      sizes: ``{"full": {...}, "quick": {...}}`` keyword arguments for ``make_inputs``.
      numpy_fn: a different NumPy baseline (vectorized) when ``fn`` is scalar loops; None means
        NumPy runs ``fn`` itself.
      eager_reduced: for scalar-loop workloads, the size to run ``fn`` eagerly on (per mode);
        its time is scaled by ``items(full inputs) / items(reduced inputs)``.
      items: ``items(args) -> int``, the count eager time is scaled by (pixels, starts).
      bytes_moved: ``bytes_moved(args, out) -> int``, compulsory memory traffic of one call
        (every input read once, every output written once, assuming full fusion); set only for
        memory-bound workloads, where the report shows the fraction of copy bandwidth.
      rtol, atol: correctness tolerance against NumPy (``|a - ref| <= atol + rtol * |ref|``).
      unit: ``"ms"`` or ``"us"``, how the report prints steady-state times.
      targets: flowjit's goals from the issue.
      notes: shown under the table.
    """

    name: str
    description: str
    fn: Callable[..., Any]
    make_inputs: Callable[..., tuple]
    sizes: dict[str, dict[str, Any]]
    numpy_fn: Callable[..., Any] | None = None
    eager_reduced: dict[str, dict[str, Any]] | None = None
    items: Callable[[tuple], int] | None = None
    bytes_moved: Callable[[tuple, Any], int] | None = None
    rtol: float = 1e-7
    atol: float = 0.0
    unit: str = "ms"
    targets: tuple[Target, ...] = (FIRST_CALL,)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def inputs(self, quick: bool, seed: int = 0) -> tuple:
        """The positional arguments for this run mode, from a fixed seed (reproducible)."""
        rng = np.random.default_rng(seed)
        return self.make_inputs(rng, **self.sizes["quick" if quick else "full"])

    def reduced_inputs(self, quick: bool, seed: int = 0) -> tuple | None:
        """Arguments of the reduced eager-Python run, or None if the workload has none."""
        if self.eager_reduced is None:
            return None
        rng = np.random.default_rng(seed)
        return self.make_inputs(rng, **self.eager_reduced["quick" if quick else "full"])

    @property
    def baseline(self) -> Callable[..., Any]:
        """The function the ``numpy`` implementation runs."""
        return self.numpy_fn if self.numpy_fn is not None else self.fn


def _in_out_bytes(args: tuple, out: Any) -> int:
    """Bytes of every array argument plus the output: the traffic of a single fused pass."""
    total = sum(a.nbytes for a in args if isinstance(a, np.ndarray))
    return total + np.asarray(out).nbytes


# --------------------------------------------------------------------------------------------
# 1. GELU (tanh approximation), two spellings of the cube
# --------------------------------------------------------------------------------------------


def gelu(x):
    """GELU, tanh approximation, with ``x**3`` (NumPy calls pow for this)."""
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def gelu_cube(x):
    """GELU, tanh approximation, with the cube spelled ``x*x*x``."""
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def _gelu_inputs(rng, n):
    return (rng.standard_normal(n, dtype=np.float32),)


# --------------------------------------------------------------------------------------------
# 2. Row softmax
# --------------------------------------------------------------------------------------------


def softmax_rows(x):
    """Numerically stable softmax of each row."""
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=1, keepdims=True)


def _softmax_inputs(rng, rows, cols):
    return (rng.standard_normal((rows, cols), dtype=np.float32),)


# --------------------------------------------------------------------------------------------
# 3. Mandelbrot escape counts (scalar loops)
# --------------------------------------------------------------------------------------------


def mandelbrot(xs, ys, max_iter):
    """Escape count of every pixel: scalar loops with ``while``, ``break`` and ``out[i, j] = n``."""
    height = ys.shape[0]
    width = xs.shape[0]
    out = np.zeros((height, width), dtype=np.int64)
    for i in range(height):
        ci = ys[i]
        for j in range(width):
            cr = xs[j]
            zr = 0.0
            zi = 0.0
            n = 0
            while n < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            out[i, j] = n
    return out


def mandelbrot_numpy(xs, ys, max_iter):
    """Vectorized NumPy Mandelbrot giving bit-identical counts to ``mandelbrot``.

    Same operations in the same order per pixel (real and imaginary parts kept apart, not
    complex numbers, so rounding matches); pixels that escaped are frozen with ``np.where``.
    """
    cr = np.broadcast_to(xs[None, :], (ys.shape[0], xs.shape[0]))
    ci = np.broadcast_to(ys[:, None], (ys.shape[0], xs.shape[0]))
    zr = np.zeros(cr.shape)
    zi = np.zeros(cr.shape)
    n = np.zeros(cr.shape, dtype=np.int64)
    active = np.ones(cr.shape, dtype=bool)
    for _ in range(max_iter):
        zr2 = zr * zr
        zi2 = zi * zi
        active &= ~(zr2 + zi2 > 4.0)
        if not active.any():
            break
        zi = np.where(active, 2.0 * zr * zi + ci, zi)
        zr = np.where(active, zr2 - zi2 + cr, zr)
        n += active
    return n


def _mandelbrot_inputs(rng, width, height, max_iter):
    # The classic view: real part in [-2, 1], imaginary part in [-1, 1].
    return (np.linspace(-2.0, 1.0, width), np.linspace(-1.0, 1.0, height), max_iter)


# --------------------------------------------------------------------------------------------
# 4. Collatz total steps (integer scalar loops)
# --------------------------------------------------------------------------------------------


def collatz_total(limit):
    """Total number of Collatz steps to reach 1 over all starts 1..limit."""
    total = 0
    for start in range(1, limit + 1):
        n = start
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            total += 1
    return total


def collatz_total_numpy(limit):
    """Vectorized NumPy Collatz total: all starts advance together; finished ones are dropped.

    Returns an ``np.int64`` like the compiled versions (eager Python returns an ``int``, which
    ``np.asarray`` also makes int64, so the dtype check agrees).
    """
    n = np.arange(1, limit + 1, dtype=np.int64)
    total = np.int64(0)
    n = n[n != 1]
    while n.size:
        total += n.size
        n = np.where(n % 2 == 0, n // 2, 3 * n + 1)
        # Compaction keeps the work proportional to the starts still running.
        n = n[n != 1]
    return total


# --------------------------------------------------------------------------------------------
# 5. MLP layer
# --------------------------------------------------------------------------------------------


def mlp_layer(x, w, b):
    """Dense layer with ReLU."""
    return np.maximum(x @ w + b, 0)


def _mlp_inputs(rng, n):
    x = rng.standard_normal((n, n), dtype=np.float32)
    # Scaled so outputs are O(1): the tolerance can then be absolute.
    w = (rng.standard_normal((n, n), dtype=np.float32) / np.float32(math.sqrt(n)))
    b = rng.standard_normal(n, dtype=np.float32)
    return (x, w, b)


# --------------------------------------------------------------------------------------------
# 6. tanh RNN
# --------------------------------------------------------------------------------------------


def rnn(xs, h0, wx, wh, b):
    """Elman RNN: ``h = tanh(x_t @ wx + h @ wh + b)`` over the time axis; returns the last h."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ wx + h @ wh + b)
    return h


def _rnn_inputs(rng, steps, batch, n_in, hidden):
    f32 = np.float32
    xs = rng.standard_normal((steps, batch, n_in), dtype=f32)
    h0 = np.zeros((batch, hidden), dtype=f32)
    wx = rng.standard_normal((n_in, hidden), dtype=f32) / f32(math.sqrt(n_in))
    # Spectral radius below 1 keeps the recurrence stable, so float32 results stay comparable.
    wh = rng.standard_normal((hidden, hidden), dtype=f32) * f32(0.5 / math.sqrt(hidden))
    b = rng.standard_normal(hidden, dtype=f32) * f32(0.1)
    return (xs, h0, wx, wh, b)


# --------------------------------------------------------------------------------------------
# 7. Newton iteration for sqrt
# --------------------------------------------------------------------------------------------


def newton_sqrt(a):
    """Square roots by Newton's method, iterating until the largest change is below 1e-6."""
    x = 0.5 * (a + 1.0)
    x_new = 0.5 * (x + a / x)
    while np.max(np.abs(x_new - x)) >= 1e-6:
        x = x_new
        x_new = 0.5 * (x + a / x)
    return x_new


def _newton_inputs(rng, n):
    return (rng.uniform(0.01, 100.0, n),)


def _newton_bytes(args, out):
    # Count the Newton updates NumPy performs (identical for every correct implementation);
    # each reads a and x and writes x_new (the max-change reduction fused into that pass),
    # plus one initial pass reading a and writing x.
    (a,) = args
    x = 0.5 * (a + 1.0)
    x_new = 0.5 * (x + a / x)
    updates = 1
    while np.max(np.abs(x_new - x)) >= 1e-6:
        x = x_new
        x_new = 0.5 * (x + a / x)
        updates += 1
    return (2 + 3 * updates) * a.nbytes


# --------------------------------------------------------------------------------------------
# 8. Dispatch overhead
# --------------------------------------------------------------------------------------------


def dispatch(x):
    """The smallest useful call: measures per-call overhead, not compute."""
    return x + 1


def _dispatch_inputs(rng):
    return (np.ones(1, dtype=np.float64),)


# --------------------------------------------------------------------------------------------
# 9. k-means
# --------------------------------------------------------------------------------------------


def kmeans_step(points, centroids, n_iter):
    """``n_iter`` Lloyd iterations: assign to the nearest centroid, move centroids to the mean.

    A centroid that loses all its points stays where it was.
    """
    n = points.shape[0]
    k = centroids.shape[0]
    d = points.shape[1]
    for _ in range(n_iter):
        diff = points.reshape(n, 1, d) - centroids.reshape(1, k, d)
        dist = np.sum(diff * diff, axis=2)
        labels = np.argmin(dist, axis=1)
        onehot = (labels.reshape(n, 1) == np.arange(k).reshape(1, k)).astype(np.float64)
        counts = np.sum(onehot, axis=0)
        sums = onehot.T @ points
        means = sums / np.maximum(counts, 1.0).reshape(k, 1)
        centroids = np.where(counts.reshape(k, 1) > 0, means, centroids)
    return centroids


def _kmeans_inputs(rng, n, d, k, n_iter):
    # Points drawn around k well-separated centres, so the clustering is well conditioned and
    # rounding differences between implementations cannot flip an assignment.
    centres = rng.uniform(-10.0, 10.0, (k, d))
    labels = rng.integers(0, k, n)
    points = centres[labels] + rng.standard_normal((n, d))
    init = points[:k].copy()
    return (points, init, n_iter)


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

_SCALAR_NOTE = (
    "NumPy baseline is a vectorized NumPy formulation with identical results; the `python` "
    "row runs the shared scalar source eagerly on a reduced problem, scaled per {item}."
)

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload(
            name="gelu",
            description="GELU (tanh approx., `x**3`) on float32 vector",
            fn=gelu,
            make_inputs=_gelu_inputs,
            sizes={"full": {"n": 4_000_000}, "quick": {"n": 100_000}},
            bytes_moved=_in_out_bytes,
            rtol=1e-5,
            atol=1e-6,
            targets=(Target("speedup", 1.0, "jax"), FIRST_CALL, BANDWIDTH),
        ),
        Workload(
            name="gelu_cube",
            description="GELU (tanh approx., `x*x*x`) on float32 vector",
            fn=gelu_cube,
            make_inputs=_gelu_inputs,
            sizes={"full": {"n": 4_000_000}, "quick": {"n": 100_000}},
            bytes_moved=_in_out_bytes,
            rtol=1e-5,
            atol=1e-6,
            targets=(
                Target("speedup", 3.0, "numpy"),
                Target("speedup", 1.0, "jax"),
                FIRST_CALL,
                BANDWIDTH,
            ),
        ),
        Workload(
            name="softmax_rows",
            description="row softmax, float32 matrix",
            fn=softmax_rows,
            make_inputs=_softmax_inputs,
            sizes={"full": {"rows": 2048, "cols": 1024}, "quick": {"rows": 64, "cols": 128}},
            bytes_moved=_in_out_bytes,
            rtol=1e-5,
            atol=1e-8,
            targets=(
                Target("speedup", 2.0, "numpy"),
                Target("speedup", 1.0, "jax"),
                FIRST_CALL,
                BANDWIDTH,
            ),
        ),
        Workload(
            name="mandelbrot",
            description="escape counts, scalar per-pixel loops (while/break/out[i, j] = n)",
            fn=mandelbrot,
            numpy_fn=mandelbrot_numpy,
            make_inputs=_mandelbrot_inputs,
            sizes={
                "full": {"width": 300, "height": 200, "max_iter": 100},
                "quick": {"width": 30, "height": 20, "max_iter": 50},
            },
            eager_reduced={
                "full": {"width": 60, "height": 40, "max_iter": 100},
                "quick": {"width": 15, "height": 10, "max_iter": 50},
            },
            items=lambda args: args[0].shape[0] * args[1].shape[0],
            rtol=0.0,
            targets=(Target("speedup", 1.0, "numba"), FIRST_CALL),
            notes=(_SCALAR_NOTE.format(item="pixel"),),
        ),
        Workload(
            name="collatz_total",
            description="total Collatz steps of starts 1..N, integer scalar loops",
            fn=collatz_total,
            numpy_fn=collatz_total_numpy,
            make_inputs=lambda rng, limit: (limit,),
            sizes={"full": {"limit": 100_000}, "quick": {"limit": 2_000}},
            eager_reduced={"full": {"limit": 10_000}, "quick": {"limit": 500}},
            items=lambda args: args[0],
            rtol=0.0,
            targets=(Target("speedup", 1.0, "numba"), FIRST_CALL),
            notes=(
                _SCALAR_NOTE.format(item="start")
                + " Steps grow with log(start), so the scaled figure slightly underestimates.",
            ),
        ),
        Workload(
            name="mlp_layer",
            description="`np.maximum(x @ w + b, 0)`, float32",
            fn=mlp_layer,
            make_inputs=_mlp_inputs,
            sizes={"full": {"n": 512}, "quick": {"n": 64}},
            rtol=1e-4,
            atol=1e-4,
            targets=(Target("speedup", 1.0, "numpy"), Target("speedup", 1.0, "jax"), FIRST_CALL),
        ),
        Workload(
            name="rnn",
            description="tanh RNN, Python loop over time with matmuls, float32",
            fn=rnn,
            make_inputs=_rnn_inputs,
            sizes={
                "full": {"steps": 100, "batch": 32, "n_in": 64, "hidden": 128},
                "quick": {"steps": 10, "batch": 4, "n_in": 8, "hidden": 16},
            },
            rtol=1e-4,
            atol=1e-4,
            targets=(Target("speedup", 1.0, "numpy"), Target("speedup", 1.0, "jax"), FIRST_CALL),
        ),
        Workload(
            name="newton_sqrt",
            description="Newton sqrt, `while` until max change < 1e-6, float64",
            fn=newton_sqrt,
            make_inputs=_newton_inputs,
            sizes={"full": {"n": 2_000_000}, "quick": {"n": 10_000}},
            bytes_moved=_newton_bytes,
            rtol=1e-9,
            atol=1e-12,
            targets=(Target("speedup", 1.6, "numpy"), FIRST_CALL, BANDWIDTH),
        ),
        Workload(
            name="dispatch",
            description="`x + 1` on a 1-element float64 array (per-call overhead)",
            fn=dispatch,
            make_inputs=_dispatch_inputs,
            sizes={"full": {}, "quick": {}},
            rtol=0.0,
            unit="us",
            targets=(Target("max_time_us", 1.5), FIRST_CALL),
        ),
        Workload(
            name="kmeans_step",
            description="10 Lloyd iterations (argmin + one-hot matmul), float64",
            fn=kmeans_step,
            make_inputs=_kmeans_inputs,
            sizes={
                "full": {"n": 20_000, "d": 8, "k": 16, "n_iter": 10},
                "quick": {"n": 500, "d": 8, "k": 4, "n_iter": 10},
            },
            rtol=1e-9,
            atol=1e-9,
            targets=(Target("speedup", 10.0, "numpy"), FIRST_CALL),
        ),
    ]
}


def select(only: str | None) -> list[Workload]:
    """Workloads named in a comma-separated ``--only`` value (all when None), in registry order.

    Raises ``ValueError`` naming any unknown workload, so a typo is not a silent empty run.
    """
    if not only:
        return list(WORKLOADS.values())
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in WORKLOADS]
    if unknown:
        raise ValueError(
            f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}"
        )
    return [w for w in WORKLOADS.values() if w.name in wanted]


def size_text(workload: Workload, quick: bool) -> str:
    """The size parameters as ``k=v`` text for the report."""
    size = workload.sizes["quick" if quick else "full"]
    if not size:
        return "-"
    return ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in size.items())
