"""Every ufunc in ir/ops/elementwise.py UFUNCS, compiled vs eager NumPy, on every dtype NumPy
has a loop for: random values with NaN, inf, -0.0 and integer extremes, sizes from 0 up.

One compiled function per dtype combination computes all the ufuncs at once (with a symbolic
length from `input_signature`, so every example reuses the one trace and native function)."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowjit as fj
from flowjit.ir.ops.elementwise import UFUNCS
from numpy_support import DTYPES, SETTINGS, arrays, assert_same_as_eager

UNARY = [n for n, (u, _) in UFUNCS.items() if u.nin == 1]
BINARY = [n for n, (u, _) in UFUNCS.items() if u.nin == 2]
TERNARY = [n for n, (u, _) in UFUNCS.items() if u.nin == 3]

#: Ulps allowed for transcendental functions (NumPy's SIMD float32 and libm float64 kernels
#: and LLVM's differ in the last bits); everything else must be bit-identical.
TRANSCENDENTAL = {"exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "cbrt", "sin",
                  "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinh",
                  "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "power"}
ULPS = {"float32": 2, "float64": 2}
#: NumPy's fmax/fmin return either zero on a (0.0, -0.0) tie depending on the element's
#: position (SIMD body vs scalar tail: `np.fmax(zeros(20), -zeros(20))` ends in [0., -0.]);
#: 0.5 ulps compares their values exactly but lets the sign of a zero differ.
SIGNED_ZERO_TIES = {"fmax", "fmin"}


def _numpy_result(name, dtypes):
    """The result dtype eager NumPy gives, or the exception type it raises."""
    ufunc = UFUNCS[name][0]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return ufunc(*(np.ones(1, d) for d in dtypes)).dtype
        except Exception as e:  # noqa: BLE001
            return type(e)


def _supported(name, dtypes):
    r = _numpy_result(name, dtypes)
    return isinstance(r, np.dtype) and r in DTYPES


def _all_ufuncs(names, dtypes):
    """A function applying every ufunc of `names` that compiles for `dtypes`, and the ulps
    allowed for each result."""
    names = [n for n in names if _supported(n, dtypes)
             and not (n == "power" and np.dtype(dtypes[-1]).kind in "iu")]

    ufuncs = [UFUNCS[n][0] for n in names]
    if len(dtypes) == 1:
        def all_ufuncs(x):
            return tuple(u(x) for u in ufuncs)
    else:
        def all_ufuncs(x, y):
            return tuple(u(x, y) for u in ufuncs)

    tol = {i: ULPS.get(str(_numpy_result(n, dtypes)), 0) if n in TRANSCENDENTAL else
           0.5 if n in SIGNED_ZERO_TIES else 0 for i, n in enumerate(names)}
    return all_ufuncs, names, tol


_CACHE = {}


def _compiled(key, fn, specs):
    """One `fj.function` per key, reused by all the examples of a test."""
    if key not in _CACHE:
        _CACHE[key] = fj.function(fn, input_signature=specs)
    return _CACHE[key]


@pytest.mark.parametrize("dt", DTYPES, ids=str)
@SETTINGS
@given(data=st.data())
def test_unary_ufuncs(dt, data):
    fn, names, tol = _all_ufuncs(UNARY, (dt,))
    compiled = _compiled(("unary", dt), fn, [fj.TensorSpec((None,), dt)])
    x = data.draw(arrays(dt, st.integers(0, 12)))
    assert_same_as_eager(fn, x, compiled=compiled, ulps=tol)
    assert compiled.trace_count == 1


_PAIRS = [(d, d) for d in DTYPES] + [(np.dtype(a), np.dtype(b)) for a, b in (
    (np.int32, np.float32), (np.int64, np.float32), (np.bool_, np.int32), (np.float32,
                                                                            np.float64),
    (np.int32, np.int64), (np.int64, np.float64), (np.bool_, np.float64))]


@pytest.mark.parametrize("dts", _PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
@SETTINGS
@given(data=st.data())
def test_binary_ufuncs_broadcast(dts, data):
    """Shapes (n, 1) and (1, m): every pair of values, broadcast, n and m from 0."""
    fn, names, tol = _all_ufuncs(BINARY, dts)
    compiled = _compiled(("binary", dts), fn, [fj.TensorSpec((None, 1), dts[0]),
                                               fj.TensorSpec((1, None), dts[1])])
    a = data.draw(arrays(dts[0], st.tuples(st.integers(0, 6), st.just(1))))
    b = data.draw(arrays(dts[1], st.tuples(st.just(1), st.integers(0, 6))))
    assert_same_as_eager(fn, a, b, compiled=compiled, ulps=tol)
    assert compiled.trace_count == 1


@pytest.mark.parametrize("dt", [np.int32, np.int64], ids=str)
def test_integer_power(dt):
    """Integer powers wrap; a negative exponent raises ValueError as eagerly."""
    def power(a, b):
        return a ** b, np.power(a, b)

    x = np.array([[-3], [-1], [0], [2], [7], [np.iinfo(dt).max]], dt)
    f = assert_same_as_eager(power, x, np.array([[0, 1, 2, 5, 63, 64]], dt))
    assert_same_as_eager(power, x, np.array([[0, -1, 2]], dt), compiled=f)


@pytest.mark.parametrize("dt", [np.int32, np.float32, np.float64], ids=str)
def test_clip_ufunc(dt):
    def clip(x, lo, hi):
        # array bounds return the bound on ties, size-one bounds return x (signed zeros)
        return UFUNCS["clip"][0](x, np.full(x.shape, lo), np.full(x.shape, hi)), \
            np.clip(x, lo, hi), np.clip(x, None, hi), np.clip(x, lo, None), \
            np.clip(x, np.full(x.shape, lo), hi), np.clip(x, np.full((1,), lo), np.full((1,), hi))

    x = np.array([-5, -0.0, 0.0, 1.5, 3, 100, np.nan, np.inf], np.float64).astype(dt) \
        if np.dtype(dt).kind == "f" else np.array([-5, 0, 1, 3, 100], dt)
    assert TERNARY == ["clip"]
    f = assert_same_as_eager(clip, x, dt(0), dt(3))
    assert_same_as_eager(clip, x, dt(3), dt(0), compiled=f)  # lo > hi: hi wins
    if np.dtype(dt).kind == "f":
        assert_same_as_eager(clip, x, dt(-0.0), dt(np.nan), compiled=f)


@pytest.mark.parametrize("dts", [(d, d) for d in DTYPES] + [(DTYPES[0], DTYPES[3])],
                         ids=lambda p: f"{p[0]}-{p[1]}")
def test_numpy_errors_match(dts):
    """Where NumPy has no loop (bool - bool, bitwise or shifts on floats, ...), flowjit raises
    the same exception type; results NumPy gives in a dtype flowjit does not compile (float16
    from exp of bool, int8 from square of bool) raise NotImplementedError naming it."""
    for name in BINARY + UNARY:
        ufunc = UFUNCS[name][0]
        args = dts if ufunc.nin == 2 else dts[:1]
        r = _numpy_result(name, args)
        if isinstance(r, np.dtype) and r in DTYPES:
            continue
        expected = r if not isinstance(r, np.dtype) else NotImplementedError

        def f(*xs):
            return ufunc(*xs)

        with pytest.raises(expected):
            fj.function(f)(*(np.ones(2, d) for d in args))


PY_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
          "**": lambda a, b: a ** b, "<": lambda a, b: a < b, "==": lambda a, b: a == b,
          "&": lambda a, b: a & b, "<<": lambda a, b: a << b}


@pytest.mark.parametrize("dt", [np.int32, np.float32], ids=str)
def test_python_scalar_operands_are_weak(dt):
    """NEP 50: `x_float32 * 2.5` stays float32, `x_int32 + 3` stays int32 (as eagerly)."""
    ops = [k for k in PY_OPS if not (np.dtype(dt).kind == "f" and k in ("&", "<<"))]

    def with_scalars(x, i, f):
        return (tuple(PY_OPS[k](x, i) for k in ops)
                + tuple(PY_OPS[k](i, x) if k != "**" else PY_OPS[k](x, 2) for k in ops)
                + tuple(PY_OPS[k](x, f) for k in ops if k not in ("&", "<<")))

    x = np.array([-7, -1, 0, 1, 3, 9], dt)
    assert_same_as_eager(with_scalars, x, 3, 2.5)


def test_where_and_astype():
    def fn(c, x, y):
        return (np.where(c, x, y), np.where(c, x, 0.5), np.where(x > 0, 1, y),
                x.astype(np.int32), y.astype(np.bool_), np.float32(x), np.int64(y),
                x.astype(np.int64))

    x = np.array([np.nan, -2.7, 2.7, 1e20, -0.0, np.inf, -1e20, 3.0], np.float64)
    y = np.array([1, 0, -5, 2**31 - 1, -2**31, 7, 0, 1], np.int32)
    c = np.array([True, False] * 4)
    assert_same_as_eager(fn, c, x, y)
