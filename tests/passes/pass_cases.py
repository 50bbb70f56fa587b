"""Traced test graphs and the differential check shared by the pass tests."""

from __future__ import annotations

import contextlib
import io

import numpy as np

from flowjit.ir import interpreter, tracing, types as T
from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.ops.effects import assert_, print_

F32, F64, I32, I64, B = np.float32, np.float64, np.int32, np.int64, np.bool_


def spec(dtype, *shape, weak=False) -> T.TensorType:
    return T.TensorType(np.dtype(dtype), shape, weak=weak)


def trace(fn, *types):
    """The graph of `fn` traced on `types` (one per positional argument)."""
    return tracing.trace(fn, list(types), lambda ts: (tuple(ts), {}), name=fn.__name__).graph


# -- the functions -------------------------------------------------------------------------------

def chain(x):
    return np.exp(-x * x) * 2 + 1


def broadcast(x, y):
    z = x * y + y
    return np.where(z > 0, z, -z) - x


def reductions(x):
    a = (x * 2).sum(axis=0)
    b = np.max(x * x - 1, axis=1, keepdims=True) * x
    return a, b + 1, b.mean()


def dead_and_duplicates(x):
    unused = np.exp(x) + 1  # noqa: F841 - dead code on purpose
    y = x + 1
    y2 = x + 1
    z = 1 + x
    return y * y2 - z


def int_arith(x):
    return (x // 3) % 5 + x * x - (x >> 1 if False else x // 2)


def branches(x):
    s = x.sum()
    a, b = cond(s > 0, lambda: (x * 2 + 1, s), lambda: (x - 1, s * 3))
    return a * a


def loop(x):
    def body(i, acc, unused):
        return i + 1, acc + x * i, unused * 2

    i, acc, _ = while_loop(lambda i, acc, unused: i < 3, body, (0, x, x + 1))
    return acc


def nested(x, n):
    def body(i, acc):
        acc = cond(i % 2 == 0, lambda: acc * 2 + x, lambda: acc - 1)
        return i + 1, acc

    _, acc = while_loop(lambda i, acc: i < n, body, (0, x))
    return cond(acc.sum() > 0, lambda: acc + 1, lambda: acc)


def effects(x):
    s = x.sum()
    print_("sum", s)
    unused = x * 5  # noqa: F841
    assert_(x.size == 0 or np.max(x) < 1e30, "too big")
    y = np.exp(x) + 1
    print_("y", y)
    return y * 2


def in_place(x, k):
    x[0] = x[1] * 2 + 1
    x[k] = 7
    return x + 1


def literal_math(x):
    c = tracing.apply("multiply", np.float32(2), 3)  # np.float32(2) * 3, staged
    d = tracing.apply("astype", 5, dtype=np.dtype(np.float32))
    return x * c + d


def zero_division(x, k):
    q = tracing.apply("floor_divide", 7, 0, python=True)  # eagerly: ZeroDivisionError
    return x + q + k


#: name -> (function, argument types). Each type list is traced once per entry.
CASES = {
    "chain_f32": (chain, [spec(F32, 4, 3)]),
    "chain_empty": (chain, [spec(F32, 0, 3)]),
    "chain_f64_1d": (chain, [spec(F64, 7)]),
    "broadcast_f32": (broadcast, [spec(F32, 4, 3), spec(F32, 3)]),
    "broadcast_i32": (broadcast, [spec(I32, 2, 3), spec(I32, 1, 3)]),
    "reductions": (reductions, [spec(F32, 3, 4)]),
    "dead_and_duplicates": (dead_and_duplicates, [spec(F32, 5)]),
    "int_arith": (int_arith, [spec(I32, 6)]),
    "branches": (branches, [spec(F32, 2, 2)]),
    "loop": (loop, [spec(F32, 3)]),
    "nested": (nested, [spec(F64, 2, 3), spec(I64, weak=True)]),
    "effects": (effects, [spec(F32, 3)]),
    "effects_empty": (effects, [spec(F32, 0)]),
    "in_place": (in_place, [spec(F32, 3, 2), spec(I64)]),
    "literal_math": (literal_math, [spec(F32, 4)]),
    "zero_division": (zero_division, [spec(F32, 2), spec(I64, weak=True)]),
}


# -- inputs and the differential check -----------------------------------------------------------

def random_input(t: T.TensorType, rng: np.random.Generator):
    """A random value of type `t`, with negatives, and NaN/inf in float arrays."""
    if t.weak:
        return {T.INT64: int(rng.integers(-3, 6)), T.FLOAT64: float(rng.normal()),
                T.BOOL: bool(rng.integers(2))}[t.dtype]
    shape = tuple(t.shape)
    if t.dtype.kind == "f":
        x = (rng.standard_normal(shape) * 3).astype(t.dtype)
        if x.size:
            x.flat[rng.integers(x.size)] = rng.choice([np.nan, -np.inf, -0.0])
        return x if shape else t.dtype.type(x)
    if t.dtype.kind == "b":
        x = rng.integers(0, 2, shape).astype(bool)
    else:
        x = rng.integers(-3, 4, shape).astype(t.dtype)  # small: indices in and out of bounds, zeros
    return x if shape else t.dtype.type(x)


def evaluate(graph, args):
    """`(outputs, printed text, exception)` of the reference interpreter on copies of args."""
    out, err = None, None
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            out = interpreter.run(graph, *[np.copy(a) if isinstance(a, np.ndarray) else a
                                           for a in args])
        except Exception as e:  # noqa: BLE001 - compared below
            err = (type(e), str(e))
    return out, buf.getvalue(), err


def assert_same(a, b):
    """Bit-exact equality of two interpreter outputs, including Python/NumPy type and dtype."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, (bool, int, float)):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (a, b)
        return
    assert a.dtype == b.dtype and np.shape(a) == np.shape(b), (a, b)
    assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (a, b)


def assert_equivalent(before, after, n_inputs: int = 6, seed: int = 0):
    """The interpreter gives the same outputs, text and exception on both graphs."""
    rng = np.random.default_rng(seed)
    for _ in range(n_inputs):
        args = [random_input(a.type, rng) for a in before.inputs]
        out1, text1, err1 = evaluate(before, args)
        out2, text2, err2 = evaluate(after, args)
        assert err1 == err2 and text1 == text2
        if out1 is not None:
            assert len(out1) == len(out2)
            for x, y in zip(out1, out2):
                assert_same(x, y)
