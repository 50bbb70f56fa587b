"""One adapter per implementation: NumPy (eager), flowjit, Numba, JAX, TensorFlow.

An adapter knows how to import its library (``load``; a failure makes every row of it
"unavailable: <reason>"), how to turn a workload into a callable (``build``; a failure makes
that one row unavailable), how to convert NumPy inputs once, outside the timed region
(``prepare``: JAX arrays are put on the device first, as a JAX user's data would already be),
how to wait for the result inside the timed region (``sync``: JAX dispatches asynchronously)
and how to get a NumPy array back for the correctness check (``to_numpy``).

The harness never special-cases a library: everything library-specific is here.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import time
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .workloads import Workload


class Unavailable(Exception):
    """The implementation cannot run (a library is missing, or a workload is not supported)."""


def describe_exception(exc: BaseException, limit: int = 160) -> str:
    """``Type: first line of the message``, shortened: fits in a table cell.

    Numba's typing errors start with a generic "Failed in nopython mode pipeline" line; the
    useful part is the rejected signature on the line starting with ``>>>``, so that is used.
    """
    lines = [line.strip() for line in str(exc).strip().splitlines()]
    first = lines[0] if lines else ""
    signature = next((line[3:].strip() for line in lines if line.startswith(">>>")), None)
    if signature:
        first = f"unsupported {signature}"
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Impl:
    """Base adapter. ``name`` is the key used in results, ``--impls`` and ratios."""

    name = "impl"
    #: Whether the adapter compiles (first call then includes trace + compile).
    compiles = True

    def __init__(self) -> None:
        self.unavailable_reason: str | None = None
        self.version: str | None = None
        self._loaded = False

    def load(self) -> bool:
        """Import the library once; on failure record ``unavailable_reason``. Returns success."""
        if not self._loaded:
            self._loaded = True
            try:
                self._load()
            except Unavailable as exc:
                self.unavailable_reason = str(exc)
            except Exception as exc:  # noqa: BLE001 - any import failure means "unavailable"
                self.unavailable_reason = describe_exception(exc)
        return self.unavailable_reason is None

    def _load(self) -> None:
        """Import the library; raise ``Unavailable`` (or anything) if it cannot be used."""

    def build(self, workload: Workload) -> Callable[..., Any]:
        """A callable computing the workload (lazy compilers compile on its first call)."""
        raise NotImplementedError

    def _build_source(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Compile an arbitrary plain-Python function (used for the one-time warm-up)."""
        return fn

    def warm_up(self) -> float | None:
        """Pay the library's one-time initialization (LLVM/XLA set-up, first compile) on a
        trivial function, so that every workload's first call measures only its own trace +
        compile + run whatever the workload order. Returns the ms spent, or None on failure
        (the workloads will then report the error themselves)."""
        if self.unavailable_reason is not None or not self.compiles:
            return None
        try:
            args = self.prepare((np.ones(4),))
            t0 = time.perf_counter_ns()
            self.sync(self._build_source(_warm_up_source)(*args))
            return (time.perf_counter_ns() - t0) / 1e6
        except Exception:  # noqa: BLE001
            return None

    def prepare(self, args: tuple) -> tuple:
        """Inputs in this library's form. Arrays are copied so no implementation sees another's
        mutations (none of the workloads mutates, but a buggy compiler could)."""
        return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)

    def sync(self, out: Any) -> Any:
        """Block until ``out`` is computed (inside the timed region)."""
        return out

    def to_numpy(self, out: Any) -> np.ndarray:
        """The result as a NumPy array (a Python scalar becomes a 0-d array of its NumPy type)."""
        return np.asarray(out)

    def known_deviation(self, detail: str) -> str | None:
        """Why a failed check is a documented semantic difference of this *peer* (not a bug in
        the suite), or None. flowjit never has one: its contract is NumPy's semantics."""
        return None


def _warm_up_source(x):
    """The trivial function each compiler compiles once before the workloads."""
    return x * 2.0 + 1.0


class NumpyImpl(Impl):
    """Eager NumPy: the shared source, or the workload's vectorized NumPy baseline."""

    name = "numpy"
    compiles = False

    def _load(self) -> None:
        self.version = np.__version__

    def build(self, workload: Workload) -> Callable[..., Any]:
        return workload.baseline


class PythonImpl(Impl):
    """Eager Python running the shared scalar-loop source (timed on a reduced problem)."""

    name = "python"
    compiles = False

    def _load(self) -> None:
        self.version = ".".join(map(str, sys.version_info[:3]))

    def build(self, workload: Workload) -> Callable[..., Any]:
        return workload.fn


class NumbaImpl(Impl):
    """``numba.njit`` of the shared source; a typing error makes the row unavailable."""

    name = "numba"

    def _load(self) -> None:
        if importlib.util.find_spec("numba") is None:
            raise Unavailable("numba not installed (pip install '.[bench]')")
        import numba

        self.version = numba.__version__
        self._numba = numba

    def build(self, workload: Workload) -> Callable[..., Any]:
        # A fresh dispatcher per build, so the first call always includes compilation.
        return self._numba.njit(workload.fn)

    def _build_source(self, fn):
        return self._numba.njit(fn)

    def known_deviation(self, detail: str) -> str | None:
        # Numba types a Python float literal as float64 and promotes float32 arrays with it,
        # where NumPy 2 (NEP 50) keeps the literal weak and the result float32.
        if detail.startswith("values ok; dtype float64 != float32"):
            return "Numba ignores NEP 50 weak float literals"
        return None


class JaxImpl(Impl):
    """``jax.jit`` of the idiomatic JAX version in ``jax_versions`` (x64 enabled)."""

    name = "jax"

    def _load(self) -> None:
        if importlib.util.find_spec("jax") is None:
            raise Unavailable("jax not installed (pip install '.[bench]')")
        from . import jax_versions
        import jax

        self.version = jax.__version__
        self._jax = jax
        self._versions = jax_versions

    def build(self, workload: Workload) -> Callable[..., Any]:
        fn = getattr(self._versions, workload.name, None)
        if fn is None:
            raise Unavailable(f"no JAX version of {workload.name}")
        static = self._versions.STATIC_ARGNAMES.get(workload.name, ())
        return self._jax.jit(fn, static_argnames=static)

    def _build_source(self, fn):
        return self._jax.jit(fn)

    def prepare(self, args: tuple) -> tuple:
        return tuple(
            self._jax.device_put(a) if isinstance(a, np.ndarray) else a for a in args
        )

    def sync(self, out: Any) -> Any:
        return self._jax.block_until_ready(out)


class TensorFlowImpl(Impl):
    """``tf.function`` of the TensorFlow version in ``tf_versions`` (when TF is installed)."""

    name = "tensorflow"

    def _load(self) -> None:
        if importlib.util.find_spec("tensorflow") is None:
            raise Unavailable("tensorflow not installed")
        from . import tf_versions
        import tensorflow as tf

        self.version = tf.__version__
        self._tf = tf
        self._versions = tf_versions

    def build(self, workload: Workload) -> Callable[..., Any]:
        fn = getattr(self._versions, workload.name, None)
        if fn is None:
            raise Unavailable(f"no TensorFlow version of {workload.name}")
        return self._tf.function(fn)

    def _build_source(self, fn):
        return self._tf.function(fn)

    def prepare(self, args: tuple) -> tuple:
        return tuple(self._tf.constant(a) if isinstance(a, np.ndarray) else a for a in args)

    def sync(self, out: Any) -> Any:
        # Eager CPU tensors returned by a tf.function are already materialized.
        return out

    def to_numpy(self, out: Any) -> np.ndarray:
        return np.asarray(out.numpy() if hasattr(out, "numpy") else out)


def import_flowjit():
    """Import ``flowjit``; in a source checkout that is not installed, import it from here.

    The repository root *is* the package (``package-dir = {"flowjit" = "."}``), so when
    ``import flowjit`` fails for lack of the package, a temporary directory holding a
    ``flowjit`` symlink to the root is put on ``sys.path`` and the import retried.
    """
    try:
        return importlib.import_module("flowjit")
    except ModuleNotFoundError as exc:
        if exc.name != "flowjit":
            raise
    root = Path(__file__).resolve().parents[1]
    if not (root / "__init__.py").exists():
        raise Unavailable(f"flowjit not installed and {root} is not the package root")
    # One directory per checkout (keyed by its path), reused across runs.
    key = hashlib.sha1(str(root).encode()).hexdigest()[:12]
    link_dir = Path(tempfile.gettempdir()) / f"flowjit-bench-{os.getuid()}-{key}"
    link_dir.mkdir(exist_ok=True)
    link = link_dir / "flowjit"
    if not link.is_symlink() or link.resolve() != root:
        link.unlink(missing_ok=True)
        link.symlink_to(root, target_is_directory=True)
    sys.path.insert(0, str(link_dir))
    return importlib.import_module("flowjit")


class FlowjitImpl(Impl):
    """``fj.function`` of the shared source; unavailable until ``fj.function`` exists."""

    name = "flowjit"

    def _load(self) -> None:
        fj = import_flowjit()
        function = getattr(fj, "function", None)
        if not callable(function):
            raise Unavailable("flowjit has no fj.function yet")
        self.version = getattr(fj, "__version__", None) or "dev"
        self._fj = fj

    def build(self, workload: Workload) -> Callable[..., Any]:
        # A fresh Function per build, so the first call always traces and compiles.
        return self._fj.function(workload.fn)

    def _build_source(self, fn):
        return self._fj.function(fn)


#: Display order: the baseline first, then flowjit, then the peers.
ALL_IMPLS: dict[str, type[Impl]] = {
    cls.name: cls for cls in (NumpyImpl, FlowjitImpl, NumbaImpl, JaxImpl, TensorFlowImpl)
}


def make_impls(names: str | None = None) -> list[Impl]:
    """Adapters for a comma-separated list of names (all when None); NumPy is always included,
    since every ratio and correctness check is against it. Libraries are loaded here."""
    wanted = list(ALL_IMPLS) if not names else [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in ALL_IMPLS]
    if unknown:
        raise ValueError(f"unknown implementation(s) {', '.join(unknown)}; known: {', '.join(ALL_IMPLS)}")
    if "numpy" not in wanted:
        wanted.insert(0, "numpy")
    impls = [ALL_IMPLS[n]() for n in ALL_IMPLS if n in wanted]
    for impl in impls:
        impl.load()
    return impls
