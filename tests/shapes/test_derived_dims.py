"""Part A of shape polymorphism (issue 4): shapes derived from an input's symbolic axis
(slices, concatenation, reshape, cumsum, diff) trace once and match eager NumPy at every length,
0 and 1 included."""

import numpy as np
import pytest

import flowjit as fj

from shapes_helpers import assert_same_as_eager, check_lengths, out_type, rows

SPEC = fj.TensorSpec((None, 3), np.float32)
SPEC_N = fj.TensorSpec(("n", 3), np.float32)


def tail(x): return x[1:]
def head(x): return x[:-1]
def every_other(x): return x[::2]
def reverse(x): return x[::-1]
def differences(x): return x[1:] - x[:-1]
def concat_self(x): return np.concatenate([x, x])
def ravel_(x): return x.ravel()
def reshape_flat(x): return x.reshape(-1)
def cumsum_flat(x): return np.cumsum(x)
def diff_rows(x): return np.diff(x, axis=0)
def diff_cols(x): return np.diff(x)
def diff_twice(x): return np.diff(x, n=2, axis=0)
def last_two(x): return x[-2:]
def strided(x): return x[1::3] * 2
def reverse_step(x): return x[::-2]
def window(x): return x[2:5]
def mixed_slices(x): return x[1:, ::-1][::2, 1:]
def roundtrip(x): return x.reshape(-1).reshape(-1, 3) + x
def flat_slice(x): return x.flatten()[::2]
def diff_style(x):
    d = x[1:] - x[:-1]
    return d * d + x[1:]
def zeros_like_slice(x): return np.zeros_like(x[1:]) + x[:-1]
def sum_of_tail(x): return x[1:].sum(axis=0), x[1:].mean(axis=0)
def shape_of_slice(x): return x[1:].shape[0], x[::2].shape[0]
def concat_slices(x): return np.concatenate([x[1:], x, x[::2]], axis=0)
def stack_slices(x): return np.stack([x[1:], x[:-1]])
def setitem_slice(x):
    y = x.copy()
    y[1:] = x[:-1]
    return y
def cumsum_diff(x): return np.diff(np.cumsum(x))
def transpose_slice(x): return x[1:].T


CASES = [tail, head, every_other, reverse, differences, concat_self, ravel_, reshape_flat,
         cumsum_flat, diff_rows, diff_cols, diff_twice, last_two, strided, reverse_step, window,
         mixed_slices, roundtrip, flat_slice, diff_style, zeros_like_slice, sum_of_tail,
         shape_of_slice, concat_slices, stack_slices, setitem_slice, cumsum_diff,
         transpose_slice]


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_same_as_eager_for_every_length_one_trace(fn):
    check_lengths(fn, [SPEC], lambda n: (rows(n),))


@pytest.mark.parametrize("fn, expected", [
    (tail, "float32[n-1,3]"), (head, "float32[n-1,3]"), (every_other, "float32[(n+1)//2,3]"),
    (reverse, "float32[n,3]"), (differences, "float32[n-1,3]"), (concat_self, "float32[2*n,3]"),
    (ravel_, "float32[3*n]"), (cumsum_flat, "float32[3*n]"), (diff_rows, "float32[n-1,3]"),
    (diff_twice, "float32[n-2,3]"), (last_two, "float32[min(n,2),3]"),
    (roundtrip, "float32[n,3]"),
], ids=lambda v: getattr(v, "__name__", v))
def test_printed_types(fn, expected):
    assert out_type(fj.function(fn, input_signature=[SPEC_N]), SPEC_N) == expected


def test_input_none_prints_generated_name():
    f = fj.function(tail, input_signature=[SPEC])
    assert out_type(f, SPEC) == "float32[s0-1,3]"


def concat_two(x, y): return np.concatenate([x, y])
def concat_two_sliced(x, y): return np.concatenate([x[1:], y, x[:1]])


@pytest.mark.parametrize("fn", [concat_two, concat_two_sliced], ids=lambda f: f.__name__)
def test_two_symbolic_dims(fn):
    compiled = fj.function(fn, input_signature=[SPEC, SPEC])
    for n, m in [(0, 0), (1, 0), (0, 1), (2, 3), (5, 1), (1, 7)]:
        assert_same_as_eager(fn, rows(n), rows(m, seed=9), compiled=compiled)
    assert compiled.trace_count == 1
    assert out_type(compiled, SPEC, SPEC) in ("float32[s0+s1,3]",
                                              "float32[s0+min(s0,1)+s1-1,3]") or \
        fn is concat_two_sliced


def test_concat_two_prints_sum():
    f = fj.function(concat_two, input_signature=[SPEC, SPEC])
    assert out_type(f, SPEC, SPEC) == "float32[s0+s1,3]"


def add_mismatched(x): return x[1:] + x


def test_mismatched_expressions_are_an_error_naming_both():
    f = fj.function(add_mismatched, input_signature=[SPEC_N])
    with pytest.raises(ValueError, match=r"n-1.*n|n.*n-1"):
        f(rows(3))


def reshape_ambiguous(x): return x.reshape(-1, 2)


def test_reshape_not_provably_divisible_is_refused_clearly():
    f = fj.function(reshape_ambiguous, input_signature=[SPEC_N])
    with pytest.raises(NotImplementedError, match="divisible"):
        f(rows(2))


def test_one_dimensional_and_int_dtypes():
    def fn(v):
        return np.diff(v), v[::-1][1:], np.concatenate([v, v[:0], v[2:]]), np.cumsum(v[1:])
    compiled = fj.function(fn, input_signature=[fj.TensorSpec((None,), np.int64)])
    for n in (0, 1, 2, 5, 9):
        assert_same_as_eager(fn, np.arange(n, dtype=np.int64) ** 2, compiled=compiled)
    assert compiled.trace_count == 1


def test_graph_interpreter_agrees():
    from flowjit.ir import interpreter
    f = fj.function(concat_slices, input_signature=[SPEC])
    graph = f.get_concrete_function(SPEC).graph
    for n in (0, 1, 4):
        x = rows(n)
        np.testing.assert_array_equal(interpreter.run(graph, x)[0], concat_slices(x))
