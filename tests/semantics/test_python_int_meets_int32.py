"""A Python int meeting an int32 array (NEP 50): out-of-range values raise NumPy's
OverflowError where the ufunc converts them, and comparisons stay exact (NumPy 2)."""

import numpy as np
import pytest

from fjtest.differential import assert_same_as_eager


VALUES = [0, 7, -7, 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**40, -2**62]


def mul(x, k):
    return x * k + 1


def compare(x, k):
    return (x < k), (x == k), (k >= x)


def bitwise(x, k):
    return np.maximum(x, k) & k


def literal_in_untaken_branch(x, flag):
    y = x
    if flag > 0:
        y = x + 2**40
    return y


@pytest.mark.parametrize("k", VALUES)
@pytest.mark.parametrize("fn", [mul, compare, bitwise])
def test_traced_python_int_with_int32_array(fn, k):
    x = np.array([1, -5, 2**31 - 1], np.int32)
    assert_same_as_eager(fn, x, k)


@pytest.mark.parametrize("flag", [0, 1])
def test_out_of_range_literal_raises_only_where_it_runs(flag):
    assert_same_as_eager(literal_in_untaken_branch, np.arange(3, dtype=np.int32), np.int64(flag))


def test_message_names_the_value():
    import flowjit as fj
    with pytest.raises(OverflowError, match=r"^Python integer 2147483648 out of bounds for int32$"):
        fj.function(mul)(np.ones(2, np.int32), 2**31)


def ufunc_comparisons(a, b):
    return (np.greater(a, b), np.less_equal(a, b), np.equal(a, b), np.not_equal(b, a),
            a > b, a <= b)


@pytest.mark.parametrize("a,b", [(-2, 0), (0, -2), (3, 3), (-2**62, 2**62), (2**62, -1)])
def test_numpy_comparison_of_two_python_ints(a, b):
    # NumPy resolves these to an object loop; flowjit compares in int64, exactly.
    assert_same_as_eager(ufunc_comparisons, a, b)
