"""Fusion kernels that hold reductions (ir/passes/fusion.py, codegen/lowering/reduction.py),
compiled end to end and compared with eager NumPy: float sums bit for bit (NumPy's pairwise
order over the contiguous inner axis), extrema with NaN, ints, broadcast inputs, dynamic
shapes, empty rows, kernels inside loops."""

import numpy as np
import pytest

import flowjit as fj


def fused_reductions(cf):
    """Names of the reductions computed inside fusion kernels of a ConcreteFunction."""
    out = []
    for op in cf.graph.walk():
        if op.name == "fusion":
            out += [o.name for o in op.attrs["kernel"].body.ops
                    if o.name in ("sum", "max", "min")]
    return out


def check(fn, *args, exact=True, fused=None):
    f = fj.function(fn)
    got = f(*args)
    want = fn(*args)
    got_l = got if isinstance(got, tuple) else (got,)
    want_l = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got_l, want_l):
        w = np.asarray(w)
        assert np.asarray(g).dtype == w.dtype and np.shape(g) == w.shape
        if exact:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=2e-6 if w.dtype == np.float32 else 1e-14,
                                       atol=0, equal_nan=True)
    if fused is not None:
        assert sorted(fused_reductions(f.get_concrete_function(*args))) == sorted(fused)
    return f


def softmax(x):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 128), (4, 129), (2, 1000), (3, 4099)])
def test_softmax_is_one_kernel(dtype, shape):
    x = np.random.default_rng(shape[1]).standard_normal(shape).astype(dtype) * 5
    f = check(softmax, x, exact=False, fused=["max", "sum"])
    assert f.get_concrete_function(x).graph.op_counts() == {"fusion": 1}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 5, 8, 9, 127, 128, 129, 1000, 4097, 70_001])
def test_fused_sums_match_numpy_bit_for_bit(dtype, n):
    rng = np.random.default_rng(n)
    a = (rng.standard_normal(n) * 1e3).astype(dtype)
    b = (rng.standard_normal(n)).astype(dtype)

    def f(a, b):
        d = a * b - b
        return np.sum(d), np.sum(d * 0.5), d / np.sum(d)   # d is also needed after its sum
    check(f, a, b, fused=["sum", "sum"])   # CSE merges the two np.sum(d)


@pytest.mark.parametrize("shape,axis", [((4, 5, 6), (1, 2)), ((4, 5, 6), (2,)),
                                        ((3, 130), 1), ((2, 3, 4), (0, 1, 2))])
def test_sums_over_trailing_axes(shape, axis):
    x = (np.random.default_rng(0).standard_normal(shape) * 100).astype(np.float32)

    def f(x):
        y = x * x - 1.5
        return y.sum(axis=axis), y.sum(axis=axis, keepdims=True) * y
    check(f, x, fused=["sum", "sum"])


def test_broadcast_inputs_are_summed_in_order():
    # The summed value reads a row vector broadcast over the rows and a column vector.
    x = np.random.default_rng(1).standard_normal((6, 300)).astype(np.float32)
    r = np.random.default_rng(2).standard_normal(300).astype(np.float32)
    c = np.random.default_rng(3).standard_normal((6, 1)).astype(np.float32)

    def f(x, r, c):
        return np.sum(x * r + c, axis=1, keepdims=True), np.max(r + c, axis=1)
    check(f, x, r, c)


def test_extrema_propagate_nan_and_infinities():
    x = np.array([[1.0, np.nan, 3.0, 2.0], [np.inf, -np.inf, 0.0, 1.0],
                  [-5.0, -7.0, -1.0, -2.0], [np.nan, np.nan, 1.0, 1.0]])

    def f(x):
        y = x * 2.0
        return np.max(y, axis=1), np.min(y, axis=1, keepdims=True) + y, np.max(y + 1.0)
    check(f, x, fused=["max", "min"])


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_integer_and_bool_reductions(dtype):
    x = np.random.default_rng(4).integers(-50, 50, (5, 33)).astype(dtype)

    def f(x):
        y = x * x if dtype != np.bool_ else x & x
        return y.sum(axis=1), y.max(axis=1, keepdims=True), y.min()
    check(f, x)


def test_dynamic_shapes_and_empty_rows():
    f = fj.function(softmax, input_signature=[fj.TensorSpec((None, None), np.float64)])
    for shape in [(3, 5), (1, 1000), (4, 1)]:
        x = np.random.default_rng(0).standard_normal(shape)
        np.testing.assert_allclose(f(x), softmax(x), rtol=1e-14)

    g = fj.function(lambda x: np.sum(x * 2, axis=1),
                    input_signature=[fj.TensorSpec((None, None), np.float64)])
    assert g(np.zeros((3, 0))).tolist() == [0.0, 0.0, 0.0]
    assert g(np.zeros((0, 4))).shape == (0,)

    h = fj.function(lambda x: np.max(x * 2, axis=1),
                    input_signature=[fj.TensorSpec((None, None), np.float64)])
    with pytest.raises(ValueError, match="zero-size array"):
        h(np.zeros((3, 0)))
    with pytest.raises(ValueError):
        np.max(np.zeros((3, 0)) * 2, axis=1)


def test_newton_loop_with_fused_test():
    def newton(a):
        x = 0.5 * (a + 1.0)
        x_new = 0.5 * (x + a / x)
        while np.max(np.abs(x_new - x)) >= 1e-6:
            x = x_new
            x_new = 0.5 * (x + a / x)
        return x_new
    a = np.random.default_rng(5).uniform(0.01, 100.0, 1001)
    check(newton, a, fused=["max"])


def test_mean_of_fused_sums_in_a_loop():
    def f(x, n):
        total = 0.0
        for i in range(n):
            d = x - i
            total = total + np.sum(d * d) / x.size
        return total
    x = np.random.default_rng(6).standard_normal(1000)
    check(f, x, 3)
