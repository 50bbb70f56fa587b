"""Growable lists (ListType, ir/ops/lists.py): lists appended to in staged loops whose number of
appends is only known at run time (`while` on a traced condition, `break`/`return`, appends
under a traced `if`), then `np.stack` / `np.array` / `len`. Differential against eager, plus
interpreter-vs-compiled tests of the list ops and the errors."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.errors import StagingError
from flowjit.ir import interpreter
from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
M = np.arange(12.0).reshape(4, 3) - 5
f32, f64, i32, i64 = np.float32, np.float64, np.int32, np.int64


def while_collect(n):
    out = []
    i = 0
    while i < n:
        out.append(np.float64(i) * 1.5)
        i += 1
    return np.array(out)


def while_collatz(n):
    seq = [n]
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        seq.append(n)
    return np.stack(seq), len(seq)


def while_rows(x, n):
    rows = []
    k = 0
    while k < n:
        rows.append(x * k)
        k += 1
    return np.stack(rows).sum(axis=0) + len(rows)


def break_first(x):
    out = []
    for v in x:
        out.append(v * 2)
        break
    return np.stack(out)


def break_on_negative(x):
    kept = []
    for v in x:
        if v < 0:
            break
        kept.append(v)
    return np.array(kept)


def early_return(x):
    # (A returned array's shape must not depend on the path: return values of one shape.)
    out = []
    for v in x:
        out.append(v + 1)
        if v < 0:
            return np.stack(out).sum() * 10, len(out)
    return np.stack(out).sum(), len(out)


def early_return_while(n):
    out = []
    i = 0
    while True:
        out.append(i * 2)
        if i >= n:
            return np.array(out).sum()
        i += 1


def append_under_if(x):
    pos = []
    for v in x:
        if v > 0:
            pos.append(v)
    return np.array(pos), len(pos)


def append_under_if_both(x):
    out = []
    for v in x:
        if v > 0:
            out.append(v)
        else:
            out.append(-v * 10)
            out.append(v)
    return np.stack(out)


def top_level_if(x):
    out = [x[0]]
    if x[1] > 0:
        out.append(x[1])
    return np.stack(out)


def rows_under_if(m):
    rows = []
    for row in m:
        if row.sum() > 0:
            rows.append(row * 2)
    return np.stack(rows)


def several_lists(x):
    lo, hi, all_ = [], [], []
    i = 0
    while i < x.shape[0]:
        v = x[i]
        if v < 1:
            lo.append(v)
        else:
            hi.append(v * 2)
        all_.append(i)
        i += 1
    return np.array(lo), np.array(hi), np.array(all_), len(lo) + len(hi)


def nested_loops(m, t):
    out = []
    for row in m:
        for v in row:
            if v > t:
                out.append(v)
    return np.array(out)


def nested_while(n):
    out = []
    i = 0
    while i < n:
        j = 0
        while j < i:
            out.append(i * 10 + j)
            j += 1
        i += 1
    return np.array(out)


def head_items(x):
    out = [np.float64(-1.0), np.float64(-2.0)]
    for v in x:
        if v > 0:
            out.append(v)
    return np.stack(out), len(out)


def len_inside_loop(x):
    out = []
    for v in x:
        if len(out) < 2:
            out.append(v)
    return np.array(out)


def while_on_len(n):
    out = []
    while len(out) < n:
        out.append(len(out) * 3)
    return np.array(out)


def index_after_loop(x):
    out = []
    for v in x:
        if v > 0:
            out.append(v)
    return out[0] + out[-1]


def array_dtype(x):
    out = []
    for v in x:
        if v > 0:
            out.append(v)
    return np.array(out, dtype=np.float32)


def python_numbers(n):
    out = []
    i = 0
    while i < n:
        out.append(2.5)
        i += 1
    return np.array(out)


def make_scalars(dtype):
    def scalars(x):
        out = []
        for v in x:
            if v > 0:
                out.append(v.astype(dtype))
            if v < -3:
                break
        return np.array(out)
    scalars.__name__ = f"scalars_{np.dtype(dtype).name}"
    return scalars


CASES = [
    (while_collect, [(i64(0),), (i64(1),), (i64(7),), (0,), (5,)]),
    (while_collatz, [(i64(1),), (i64(27),)]),
    (while_rows, [(X, i64(1)), (X, i64(4))]),
    (break_first, [(X,), (M,)]),
    (break_on_negative, [(X,), (-X,), (np.abs(X),)]),
    (early_return, [(X,), (np.abs(X),)]),
    (append_under_if, [(X,), (-np.abs(X),)]),
    (append_under_if_both, [(X,), (X[:1],)]),
    (top_level_if, [(X,), (-X,)]),
    (rows_under_if, [(M,), (-np.abs(M[:2]) - 1 + np.array([[0.0, 0, 9]]),)]),
    (several_lists, [(X,), (X[:0],)]),
    (nested_loops, [(M, f64(0)), (M, f64(-3))]),
    (head_items, [(X,), (-X,)]),
    (len_inside_loop, [(X,), (-np.abs(X),)]),
    (while_on_len, [(i64(6),)]),  # n=0: eager np.array([]) is float64
    (index_after_loop, [(X,)]),
    (array_dtype, [(X,)]),
    (python_numbers, [(i64(0),), (i64(3),)]),
] + [(make_scalars(dt), [(X,), (X[:2],)]) for dt in
     (np.bool_, np.int32, np.int64, np.float32, np.float64)]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_growable_list(fn, args):
    assert_same_as_eager(fn, *args)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_inner_loop_bounded_by_the_outer_index_appends(n):
    # The inner loop runs only once the outer index is traced (it starts at 0). (n < 2 leaves
    # the list empty: see the empty-list test for how that differs from eager NumPy.)
    assert_same_as_eager(nested_while, i64(n))


def test_while_list_is_one_loop_with_list_ops():
    counts = op_counts(while_collect, i64(3))
    assert counts["while_loop"] == 1
    assert counts["list_new"] == 1 and counts["list_append"] == 1
    assert counts["list_stack"] == 1 and counts["list_length"] == 1


def test_known_trip_count_keeps_preallocated_buffer():
    def f(x):
        out = []
        for v in x:
            out.append(v * 2)
        return np.stack(out)
    counts = op_counts(f, X)
    assert "list_new" not in counts and "list_append" not in counts


def test_many_appends_grow():
    f = fj.function(while_collect)
    for n in (3, 4, 5, 1000, 100_003):
        np.testing.assert_array_equal(f(i64(n)), while_collect(n))


def test_interpreter_matches_compiled():
    for fn, inputs in [(while_rows, [(X, i64(3))]), (append_under_if, [(X,)]),
                       (nested_loops, [(M, f64(0))]), (while_collect, [(i64(0),)])]:
        f = fj.function(fn)
        for args in inputs:
            cf = f.get_concrete_function(*args)
            for graph in (cf.traced_graph, cf.graph):
                ref = interpreter.run(graph, *[np.asarray(a) for a in args])
                got = cf(*args)
                got = got if isinstance(got, tuple) else (got,)
                for r, g in zip(ref, got):
                    np.testing.assert_allclose(np.asarray(r), np.asarray(g))
                    assert np.asarray(r).dtype == np.asarray(g).dtype


def test_list_ops_in_graph_text():
    text = str(fj.function(while_collect).get_concrete_function(i64(3)).traced_graph)
    assert "list<float64[]>" in text and "list_stack" in text


def return_list(n):
    out = []
    i = 0
    while i < n:
        out.append(np.float64(i))
        i += 1
    return out


def test_returning_the_list_suggests_stack():
    assert return_list(3) == [0.0, 1.0, 2.0]
    with pytest.raises(StagingError, match=r"np\.stack"):
        fj.function(return_list)(i64(3))


def mixed_dtypes(x):
    out = []
    for v in x:
        if v > 0:
            out.append(v)
        else:
            out.append(v.astype(np.float32))
    return np.array(out)


def mixed_shapes(x, n):
    out = []
    i = 0
    while i < n:
        out.append(x)
        out.append(x[:2])
        i += 1
    return np.stack(out)


def test_element_dtype_mismatch_names_variable_and_line():
    with pytest.raises(StagingError) as info:
        fj.function(mixed_dtypes)(X)
    msg = str(info.value)
    assert "'out'" in msg and "test_ag_lists_dynamic.py" in msg and "fix" in msg


def test_element_shape_mismatch_names_variable():
    with pytest.raises(StagingError) as info:
        fj.function(mixed_shapes)(X, i64(2))
    msg = str(info.value)
    assert "'out'" in msg and "test_ag_lists_dynamic.py" in msg
