"""Test helpers: JIT a CompiledGraph with one MCJIT engine and call it on NumPy arrays, and
compare compiled results with the reference interpreter."""

from __future__ import annotations

import contextlib
import ctypes
import io
import threading

import llvmlite.binding as llvm
import numpy as np

from flowjit.codegen import abi, compile_graph, target
from flowjit.ir import builder, interpreter
from flowjit.ir import types as T
from flowjit.ir.core import Graph, Region
from flowjit.ir.ops.registry import get as get_op

_LOCK = threading.RLock()
_ENGINE = None
_current = threading.local()


def _engine():
    global _ENGINE
    if _ENGINE is None:
        # The engine owns its TargetMachine (LLVMLITE.md pitfall 1); never freed (pitfall 2).
        _ENGINE = llvm.create_mcjit_compiler(llvm.parse_assembly(""),
                                             target.make_target_machine())
    return _ENGINE


def _rebuild(ptr: int, shape_ptr: int, t: T.TensorType):
    shape = tuple(ctypes.cast(shape_ptr, ctypes.POINTER(ctypes.c_int64))[k]
                  for k in range(t.ndim))
    n = int(np.prod(shape, dtype=np.int64)) * t.dtype.itemsize
    arr = np.frombuffer(ctypes.string_at(ptr, n), dtype=t.dtype).reshape(shape)
    if t.ndim == 0:
        return T.PYTHON_TYPE_OF_WEAK[t.dtype](arr.item()) if t.weak else arr[()]
    return arr.copy()


@ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p)
def _print_hook(site, slots):
    from flowjit.ir.ops.effects import fill_template

    ps = _current.compiled.print_sites[site]
    slot = ctypes.cast(slots, ctypes.POINTER(ctypes.c_void_p))
    values = [_rebuild(slot[2 * k], slot[2 * k + 1], t) for k, t in enumerate(ps.types)]
    print(*fill_template(ps.template, values), sep=ps.sep, end=ps.end)


class Native:
    """A graph compiled and JIT-ed: `Native(graph)(*numpy_args) -> list of outputs`."""

    def __init__(self, graph: Graph, **options):
        self.graph = graph
        self.compiled = compile_graph(graph, **options)
        with _LOCK:
            ee = _engine()
            # Symbols resolve when the object is finalized: bind this module's fj_print to the
            # test hook, then give the symbol back to whoever had it (the runtime's hook).
            previous = llvm.address_of_symbol(abi.PRINT_SYMBOL)
            llvm.add_symbol(abi.PRINT_SYMBOL, ctypes.cast(_print_hook, ctypes.c_void_p).value)
            try:
                ee.add_module(self.compiled.module)
                ee.finalize_object()
            finally:
                if previous:
                    llvm.add_symbol(abi.PRINT_SYMBOL, previous)
            addr = ee.get_function_address(self.compiled.entry_name)
        assert addr, self.compiled.entry_name
        self.fn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)(addr)

    def __call__(self, *args):
        g = self.graph
        inputs, dims = [], {}
        for a, x in zip(g.inputs, args):
            arr = np.ascontiguousarray(np.asarray(x, dtype=a.type.dtype))
            for d, n in zip(a.type.shape, arr.shape):
                if isinstance(d, T.Dim):
                    dims[d] = n
            inputs.append(arr)
        outputs = [np.empty(tuple(dims[d] if isinstance(d, T.Dim) else d for d in v.type.shape),
                            v.type.dtype) for v in g.outputs]
        dim_values = np.array([dims[d] for d in self.compiled.dims] or [0], np.int64)
        ptrs = [a.ctypes.data for a in inputs + outputs] + [dim_values.ctypes.data]
        argv = (ctypes.c_void_p * len(ptrs))(*ptrs)
        err = np.zeros(abi.ERR_RECORD_SIZE, np.int64)
        _current.compiled = self.compiled
        status = self.fn(argv, err.ctypes.data)
        if status:
            raise self.compiled.exception(status, err)
        return [_canonical(o, v.type) for o, v in zip(outputs, g.outputs)]


def _canonical(out: np.ndarray, t: T.TensorType):
    if t.ndim:
        return out
    return T.PYTHON_TYPE_OF_WEAK[t.dtype](out.item()) if t.weak else out[()]


def make_graph(fn, arg_types, name="f") -> Graph:
    """Trace `fn(*Tensors)` (explicit control flow: `ir.ops.control_flow.cond/while_loop`)."""
    from flowjit.ir.tracing import trace

    arg_types = [t if isinstance(t, T.TensorType) else T.TensorType(*t) for t in arg_types]
    return trace(fn, arg_types, lambda ts: (tuple(ts), {}), name=name).graph


def run_both(graph: Graph, *args, **options):
    """`(compiled outputs, interpreter outputs)`, or the exceptions each raised, plus the
    printed text of each."""
    results = []
    for runner in (lambda: Native(graph, **options)(*args),
                   lambda: interpreter.run(graph, *args)):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                out = runner()
            except (ArithmeticError, IndexError, ValueError, AssertionError) as e:
                out = e
        results.append((out, buf.getvalue()))
    return results


def assert_same(actual, expected, *, rtol=0.0, atol=0.0):
    """Same type/dtype/shape and values (NaN == NaN), or the same exception type and text."""
    if isinstance(expected, BaseException):
        assert type(actual) is type(expected), (actual, expected)
        assert str(actual) == str(expected)
        return
    assert not isinstance(actual, BaseException), actual
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert type(a) is type(e), (type(a), type(e), a, e)
        ea, aa = np.asarray(e), np.asarray(a)
        assert aa.dtype == ea.dtype and aa.shape == ea.shape, (aa.dtype, aa.shape, ea.dtype,
                                                               ea.shape)
        if rtol or atol:
            np.testing.assert_allclose(aa, ea, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(aa, ea)


def check(fn, arg_types, *args, rtol=0.0, atol=0.0, **options):
    """Trace `fn`, compile it, and compare with the interpreter on `args`; return the graph."""
    g = make_graph(fn, arg_types)
    (actual, out_a), (expected, out_e) = run_both(g, *args, **options)
    assert_same(actual, expected, rtol=rtol, atol=atol)
    assert out_a == out_e
    return g
