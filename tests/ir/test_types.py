"""Type rules against eager NumPy: promotion (NEP 50, weak Python scalars) and broadcasting."""

import itertools

import numpy as np
import pytest

from flowjit.ir import tracing, types as T
from flowjit.ir.ops.elementwise import UFUNCS

DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]
PY_SCALARS = [True, 3, 2.5]
BINARY = [name for name, (uf, _) in UFUNCS.items() if uf.nin == 2]


def _trace_type(fn, *types):
    r = tracing.trace(fn, list(types), lambda ts: (tuple(ts), {}), name="f")
    return r.graph.outputs[0].type


def _eager_dtype(fn, *args):
    with np.errstate(all="ignore"):
        return np.asarray(fn(*args)).dtype


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_binary_ufunc_dtype_matches_numpy(name, a, b):
    ufunc = UFUNCS[name][0]
    x, y = np.ones(2, a), np.ones(2, b)
    try:
        expected = _eager_dtype(ufunc, x, y)
    except TypeError as e:
        with pytest.raises(type(e)):
            _trace_type(lambda p, q: ufunc(p, q), T.TensorType(a, (2,)), T.TensorType(b, (2,)))
        return
    trace = lambda: _trace_type(lambda p, q: ufunc(p, q), T.TensorType(a, (2,)),  # noqa: E731
                                T.TensorType(b, (2,)))
    if expected not in T.SUPPORTED_DTYPES:  # e.g. bool // bool is int8 in NumPy
        with pytest.raises(NotImplementedError, match=expected.name):
            trace()
        return
    assert trace().dtype == expected


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "floordiv", "mod", "lt"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", PY_SCALARS)
def test_python_scalar_is_weak_against_arrays(op, dtype, scalar):
    import operator
    fn = getattr(operator, op)
    x = np.ones(3, dtype)
    try:
        expected = _eager_dtype(fn, x, scalar)
    except TypeError as e:
        with pytest.raises(type(e)):
            _trace_type(lambda p: fn(p, scalar), T.TensorType(dtype, (3,)))
        return
    trace = lambda: _trace_type(lambda p: fn(p, scalar), T.TensorType(dtype, (3,)))  # noqa: E731
    if expected not in T.SUPPORTED_DTYPES:  # e.g. bool_array // True is int8 in NumPy
        with pytest.raises(NotImplementedError):
            trace()
        return
    assert trace().dtype == expected


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "floordiv", "mod", "and_", "eq"])
@pytest.mark.parametrize("a,b", list(itertools.product(PY_SCALARS, PY_SCALARS)))
def test_python_scalars_follow_python(op, a, b):
    import operator
    fn = getattr(operator, op)
    ta, tb = T.type_of_python_scalar(a), T.type_of_python_scalar(b)
    try:
        expected = type(fn(a, b))
    except TypeError:  # e.g. float & float: Python's own error, raised while tracing
        with pytest.raises(TypeError):
            _trace_type(lambda p, q: fn(p, q), ta, tb)
        return
    got = _trace_type(lambda p, q: fn(p, q), ta, tb)
    assert got.weak
    assert T.PYTHON_TYPE_OF_WEAK[got.dtype] is expected


def test_numpy_function_on_python_scalar_is_strong():
    got = _trace_type(lambda p: np.exp(p), T.type_of_python_scalar(1.0))
    assert got == T.TensorType(np.float64, ())


@pytest.mark.parametrize("shapes", [((3, 1), (4,)), ((), (2, 3)), ((0,), (1,)), ((2, 1, 3), (4, 1))])
def test_broadcasting_matches_numpy(shapes):
    assert T.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


def test_broadcasting_error_uses_numpy_words():
    with pytest.raises(ValueError, match="could not be broadcast"):
        T.broadcast_shapes((3,), (4,))


def test_symbolic_dims_broadcast_with_one_and_themselves():
    n = T.Dim("n")
    assert T.broadcast_shapes((n, 3), (1, 3)) == (n, 3)
    assert T.broadcast_shapes((n, 1), (n, 4)) == (n, 4)
    with pytest.raises(ValueError):
        T.broadcast_shapes((n,), (T.Dim("m"),))


def test_unsupported_dtype_names_the_value():
    with pytest.raises(TypeError, match="float16"):
        T.check_dtype(np.float16, "argument 'x'")


def test_float16_result_is_not_implemented():
    with pytest.raises(NotImplementedError, match="float16"):
        _trace_type(lambda p: np.exp(p), T.TensorType(np.bool_, (2,)))
