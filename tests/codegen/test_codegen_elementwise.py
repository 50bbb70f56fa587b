"""Elementwise ops compiled vs the reference interpreter: ops x dtypes x broadcasting, with
negatives, zeros, NaN, inf and integer extremes; and Python-scalar semantics."""

import warnings

import numpy as np
import pytest

from codegen_support import Native, assert_same, check, make_graph, run_both
from flowjit.ir import types as T
from flowjit.ir.tracing import apply

SAMPLES = {
    np.dtype(np.bool_): np.array([False, True]),
    np.dtype(np.int32): np.array([-7, -2, -1, 0, 1, 2, 3, 7, 31, -2**31, 2**31 - 1], np.int32),
    np.dtype(np.int64): np.array([-7, -2, -1, 0, 1, 2, 3, 7, 63, -2**63, 2**63 - 1], np.int64),
    np.dtype(np.float32): np.array([-np.inf, -7.5, -2, -1, -0.0, 0.0, 0.5, 1, 3, 7.5, 1e30,
                                    np.inf, np.nan], np.float32),
    np.dtype(np.float64): np.array([-np.inf, -7.5, -2, -1, -0.0, 0.0, 0.5, 1, 3, 7.5, 1e300,
                                    np.inf, np.nan], np.float64),
}
DTYPES = list(SAMPLES)
BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power",
          "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
          "logical_and", "logical_or", "bitwise_and", "bitwise_or", "bitwise_xor",
          "maximum", "minimum", "fmax", "fmin", "fmod", "logical_xor", "left_shift",
          "right_shift", "arctan2", "hypot", "copysign"]
UNARY = ["negative", "positive", "absolute", "logical_not", "invert", "exp", "log", "sqrt",
         "sin", "cos", "tanh", "sign", "reciprocal", "exp2", "expm1", "log1p", "log2", "log10",
         "cbrt", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
         "arctanh", "floor", "ceil", "trunc", "rint", "isnan", "isinf", "isfinite", "signbit"]
TRANSCENDENTAL = {"exp", "log", "sqrt", "sin", "cos", "tanh", "power", "exp2", "expm1",
                  "log1p", "log2", "log10", "cbrt", "tan", "arcsin", "arccos", "arctan", "sinh",
                  "cosh", "arcsinh", "arccosh", "arctanh", "arctan2", "hypot"}


def _numpy_outcome(name, *dtypes):
    """What eager NumPy does with `name` on arrays of `dtypes`: the exception type it raises
    (no loop, e.g. bool - bool), or None when it computes a result."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            getattr(np, name)(*(np.ones(1, d) for d in dtypes))
        except Exception as e:  # noqa: BLE001 - compared by type
            return type(e)
    return None


def _compiles(name, *dtypes):
    """Combinations flowjit compiles: NumPy has a loop and its result dtype is supported
    (e.g. `exp` of bool gives float16, which flowjit refuses; such cases are not generated)."""
    try:
        make_graph(lambda *xs: apply(name, *xs), [T.TensorType(d, (1,)) for d in dtypes])
    except (TypeError, NotImplementedError):
        return False
    return True


def _combos(names, dtype_tuples):
    """(name, dtypes) pairs that compile, plus those where eager NumPy raises (checked by
    `test_numpy_errors_match`); combinations NumPy computes in a dtype flowjit does not
    compile are not generated."""
    ok, errors = [], []
    for name in names:
        for dts in dtype_tuples:
            dts = tuple(map(np.dtype, dts))
            if _compiles(name, *dts):
                ok.append((name, dts))
            elif _numpy_outcome(name, *dts) is not None:
                errors.append((name, dts))
    return ok, errors


_MIXED = [(np.int32, np.float32), (np.int64, np.float32), (np.bool_, np.int32),
          (np.float32, np.float64), (np.int32, np.int64)]
_BINARY_OK, _BINARY_ERR = _combos(BINARY, [(d, d) for d in DTYPES])
_MIXED_OK, _MIXED_ERR = _combos(BINARY, _MIXED)
_UNARY_OK, _UNARY_ERR = _combos(UNARY, [(d,) for d in DTYPES])


def _id(case):
    name, dts = case
    return name + "-" + "-".join(d.name for d in dts)


@pytest.mark.parametrize("case", _BINARY_ERR + _MIXED_ERR + _UNARY_ERR, ids=_id)
def test_numpy_errors_match(case):
    """Where NumPy has no loop (bool - bool, bitwise ops on floats, ...), flowjit raises the
    same exception type when tracing."""
    name, dts = case
    with pytest.raises(_numpy_outcome(name, *dts)):
        make_graph(lambda *xs: apply(name, *xs), [T.TensorType(d, (1,)) for d in dts])


def _tol(name, dtypes):
    if name in TRANSCENDENTAL and any(np.dtype(d).kind == "f" for d in dtypes):
        return {"rtol": 1e-5 if np.dtype(np.float32) in dtypes else 1e-13, "atol": 0}
    if name in TRANSCENDENTAL:
        return {"rtol": 1e-13, "atol": 0}
    return {}


@pytest.mark.parametrize("case", _BINARY_OK, ids=_id)
def test_binary_broadcast(case):
    name, (dt, _) = case
    x = SAMPLES[dt]
    if name == "power" and dt.kind in "bi":
        x = x[(x >= 0) & (x < 8)] if dt.kind == "i" else x
    a, b = x[:, None], x[None, :]
    check(lambda p, q: apply(name, p, q),
          [T.TensorType(dt, a.shape), T.TensorType(dt, b.shape)], a, b, **_tol(name, [dt]))


@pytest.mark.parametrize("case", _MIXED_OK, ids=_id)
def test_binary_mixed_same_shape(case):
    name, (d1, d2) = case
    x1, x2 = SAMPLES[d1], SAMPLES[d2]
    if name == "power" and d2.kind in "bi":
        x2 = np.abs(x2) % 5
    a, b = np.meshgrid(x1, x2, indexing="ij")
    a, b = a.astype(d1), b.astype(d2)
    check(lambda p, q: apply(name, p, q), [T.TensorType(d1, a.shape), T.TensorType(d2, b.shape)],
          a, b, **_tol(name, [d1, d2]))


@pytest.mark.parametrize("case", _UNARY_OK, ids=_id)
def test_unary(case):
    name, (dt,) = case
    x = SAMPLES[dt].reshape(1, -1)
    check(lambda p: apply(name, p), [T.TensorType(dt, x.shape)], x, **_tol(name, [dt]))


@pytest.mark.parametrize("src", DTYPES, ids=str)
@pytest.mark.parametrize("dst", DTYPES, ids=str)
def test_astype(src, dst):
    x = SAMPLES[src]
    extra = np.array([2.0**31, -2.0**31, 2.0**63, -2.7, 2.7, 1e20], np.float64)
    if src.kind == "f":
        x = np.concatenate([x, extra.astype(src)])
    check(lambda p: p.astype(dst), [T.TensorType(src, x.shape)], x)


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()),
                                    ((0, 3), (3,)), ((2, 3), (2, 3))])
def test_where_broadcast(shapes):
    s1, s2 = shapes
    rng = np.random.default_rng(0)
    c = rng.random(s1) > 0.5
    x = rng.standard_normal(s2).astype(np.float32)
    check(lambda c, x: np.where(c, x, 2.5), [T.TensorType(np.bool_, s1),
                                             T.TensorType(np.float32, s2)], c, x)


def test_clip():
    x = SAMPLES[np.dtype(np.float64)]
    check(lambda x: np.clip(x, -2.0, 3.0), [T.TensorType(np.float64, x.shape)], x)
    i = SAMPLES[np.dtype(np.int32)]
    check(lambda x: np.clip(x, -2, 3), [T.TensorType(np.int32, i.shape)], i)


@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (3, 0, 2), (4, 5, 6)])
def test_chain_shapes(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    check(lambda x: np.exp(-x * x) * 2 + 1, [T.TensorType(np.float64, shape)], x, rtol=1e-14)


def test_0d_scalars_are_registers():
    g = make_graph(lambda a, b: a * b + 1, [T.TensorType(np.int32, ()), T.TensorType(np.int32, ())])
    n = Native(g)
    assert "malloc" not in n.compiled.unoptimized_ir
    assert_same(n(np.int32(6), np.int32(7)), [np.int32(43)])


# -- Python scalars (weak): Python's semantics -------------------------------------------------

WEAK_INT, WEAK_FLOAT = T.TensorType(np.int64, (), weak=True), T.TensorType(np.float64, (), weak=True)


@pytest.mark.parametrize("op", ["//", "%", "/"])
@pytest.mark.parametrize("a,b", [(7, 0), (-7, 2), (7, -2), (-2**63, -1), (0, 0), (5, 3)])
def test_python_int_division(op, a, b):
    fn = {"//": lambda x, y: x // y, "%": lambda x, y: x % y, "/": lambda x, y: x / y}[op]
    g = make_graph(fn, [WEAK_INT, WEAK_INT])
    (actual, _), _ = run_both(g, a, b)
    try:
        expected = [fn(a, b)]
        if isinstance(expected[0], int) and not -2**63 <= expected[0] < 2**63:
            expected = OverflowError()
    except ZeroDivisionError as e:
        expected = e
    if isinstance(expected, OverflowError):
        assert isinstance(actual, OverflowError)
    else:
        assert_same(actual, expected)


@pytest.mark.parametrize("op", ["//", "%", "/"])
@pytest.mark.parametrize("a,b", [(7.5, 0.0), (-7.5, 2.0), (7.5, -2.0), (0.0, -1.0), (-1.0, np.inf)])
def test_python_float_division(op, a, b):
    fn = {"//": lambda x, y: x // y, "%": lambda x, y: x % y, "/": lambda x, y: x / y}[op]
    g = make_graph(fn, [WEAK_FLOAT, WEAK_FLOAT])
    (actual, _), _ = run_both(g, a, b)
    try:
        expected = [fn(a, b)]
    except ZeroDivisionError as e:
        expected = e
    assert_same(actual, expected)


@pytest.mark.parametrize("fn", [lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y,
                                lambda x, y: -x - y, lambda x, y: abs(x) + y])
@pytest.mark.parametrize("a,b", [(2**62, 2**62), (-2**63, 1), (2**32, 2**32), (3, 4)])
def test_python_int_overflow(fn, a, b):
    g = make_graph(fn, [WEAK_INT, WEAK_INT])
    (actual, _), _ = run_both(g, a, b)
    expected = fn(a, b)
    if -2**63 <= expected < 2**63 and -2**63 <= -a < 2**63:
        assert_same(actual, [expected])
    elif not -2**63 <= expected < 2**63:
        assert isinstance(actual, OverflowError)


def test_python_bool_arithmetic():
    b = T.TensorType(np.bool_, (), weak=True)
    check(lambda x, y: (x + y, ~x, x & y), [b, b], True, True)


def test_numpy_int_division_by_zero_does_not_trap():
    x = np.array([7, -7, 0, np.iinfo(np.int64).min], np.int64)
    y = np.array([0, 0, 0, -1], np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda p, q: (p // q, p % q), [T.TensorType(np.int64, (4,))] * 2, x, y)


def test_negative_integer_power_raises_value_error():
    x = np.array([2, 3], np.int64)
    y = np.array([1, -1], np.int64)
    g = make_graph(lambda p, q: p ** q, [T.TensorType(np.int64, (2,))] * 2)
    (actual, _), _ = run_both(g, x, y)
    with pytest.raises(ValueError) as info:
        x ** y
    assert_same(actual, info.value)


def test_fastmath_flag_is_opt_in():
    g = make_graph(lambda x, y: x * y + x, [T.TensorType(np.float64, (8,))] * 2)
    assert " fast " not in Native(g).compiled.unoptimized_ir
    assert "fmul fast" in Native(g, fastmath=True).compiled.unoptimized_ir
