"""Elementwise ufuncs and their compositions vs eager NumPy."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from flowjit.ir.ops.elementwise import UFUNCS
from ops_support import DTYPES, FLOATS, NUMERIC, any_array, arrays, check

FAST = settings(max_examples=12, deadline=None)

UNARY = [n for n, (u, _) in UFUNCS.items() if u.nin == 1]
BINARY = [n for n, (u, _) in UFUNCS.items() if u.nin == 2]


@pytest.mark.parametrize("name", UNARY)
@FAST
@given(x=any_array())
def test_unary_ufunc(name, x):
    ufunc = UFUNCS[name][0]
    check(lambda a: ufunc(a), x)


@st.composite
def broadcast_pair(draw, dtypes=DTYPES):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    min_side=0, max_side=3))
    d1, d2 = draw(st.sampled_from(dtypes)), draw(st.sampled_from(dtypes))
    return (draw(arrays(d1, shape=shapes.input_shapes[0])),
            draw(arrays(d2, shape=shapes.input_shapes[1])))


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(pair=broadcast_pair())
def test_binary_ufunc(name, pair):
    ufunc = UFUNCS[name][0]
    check(lambda a, b: ufunc(a, b), *pair)


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(x=any_array(max_dims=2), scalar=st.sampled_from([0, 1, -3, 2.5, -0.0, True, 7, 300]))
def test_binary_ufunc_with_python_scalar(name, x, scalar):
    """Python scalars are weak (NEP 50) on either side."""
    ufunc = UFUNCS[name][0]
    check(lambda a: ufunc(a, scalar), x)
    check(lambda a: ufunc(scalar, a), x)


OPERATORS = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
             lambda a, b: a // b, lambda a, b: a % b, lambda a, b: a ** b, lambda a, b: a & b,
             lambda a, b: a | b, lambda a, b: a ^ b, lambda a, b: a << b, lambda a, b: a >> b,
             lambda a, b: a < b, lambda a, b: a == b, lambda a, b: a >= b]


@pytest.mark.parametrize("op", range(len(OPERATORS)))
@FAST
@given(pair=broadcast_pair())
def test_operators(op, pair):
    check(OPERATORS[op], *pair)


ALIASES = [np.divide, np.mod, np.abs, np.bitwise_not, np.conjugate, np.square]


@pytest.mark.parametrize("fn", ALIASES, ids=lambda f: f.__name__)
@FAST
@given(x=any_array())
def test_aliases_and_compositions(fn, x):
    if fn.nin == 2:
        check(lambda a: fn(a, a), x)
    else:
        check(lambda a: fn(a), x)


@FAST
@given(x=any_array(), lo=st.sampled_from([None, 0, -1.5, 2, np.float32(1), 2**40, -2**40,
                                          np.nan]),
       hi=st.sampled_from([None, 3, 0.5, np.int64(5), 2**40, np.nan]))
def test_clip(x, lo, hi):
    check(lambda a: np.clip(a, lo, hi), x)
    check(lambda a: a.clip(lo, hi), x)


@FAST
@given(pair=broadcast_pair(NUMERIC), decimals=st.integers(-2, 3))
def test_clip_array_bounds_and_round(pair, decimals):
    a, b = pair
    check(lambda x, y: np.clip(x, y, y + 1), a, b)
    check(lambda x: np.round(x, decimals), a)
    check(lambda x: np.around(x, decimals), a)
    check(lambda x: x.round(decimals), a)


@FAST
@given(cond=any_array(max_dims=2), pair=broadcast_pair())
def test_where(cond, pair):
    check(lambda c, x, y: np.where(c, x, y), cond, *pair)
    check(lambda c, x: np.where(c > 0, x, 0), cond, pair[0])
    check(lambda c: np.where(c, 1.5, -1), cond)


def test_where_one_argument_is_refused():
    with pytest.raises(NotImplementedError):
        check_traced_only(lambda c: np.where(c), np.ones(3, bool))


def check_traced_only(fn, *args):
    from ops_support import trace
    return trace(fn, *args)


@FAST
@given(pair=broadcast_pair(), dtype=st.sampled_from(DTYPES))
def test_dtype_keyword(pair, dtype):
    check(lambda a, b: np.add(a, b, dtype=dtype), *pair)
    check(lambda a, b: np.multiply(a, b, dtype=dtype), *pair)
    check(lambda a: np.sqrt(a, dtype=dtype), pair[0])
    check(lambda a: np.square(a, dtype=dtype), pair[0])


@FAST
@given(x=any_array(FLOATS + [np.dtype(np.int64)], min_dims=1), other=any_array(max_dims=1))
def test_out_keyword(x, other):
    def f(a, b):
        np.exp(a, out=a)
        np.add(a, b, out=a)
        return a

    check(f, x, other)

    def g(a, b):
        np.true_divide(b, 2, out=a)
        np.clip(a, 0, 1, out=a)
        return a

    check(g, x, other)


def test_unsupported_ufunc_keyword():
    with pytest.raises(NotImplementedError):
        check_traced_only(lambda a: np.add(a, 1, where=a > 0), np.ones(3))


def test_bool_result_dtype_not_compiled():
    # np.exp(bool) is float16 eagerly: flowjit refuses rather than miscompute.
    with pytest.raises(NotImplementedError):
        check_traced_only(lambda a: np.exp(a), np.ones(3, bool))
