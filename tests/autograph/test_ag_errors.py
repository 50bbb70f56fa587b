"""ConversionError / StagingError for each error class: the type, the user's file:line, the
variable's name, and a fix; exceptions raised in converted code show the user's line."""

import inspect
import traceback

import numpy as np
import pytest

import flowjit as fj
from flowjit import autograph
from flowjit.errors import ConversionError, StagingError

X = np.array([1.5, -2.0, 3.0, 0.5])
FILE = "test_ag_errors.py"
f64, i64 = np.float64, np.int64


def line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


# -- user functions ------------------------------------------------------------------------------

def generator(x):
    yield x


def nonlocal_write(x):
    total = 0

    def add(v):
        nonlocal total
        total = total + v

    add(x)
    return total


def try_around_if(x):
    try:
        if x > 0:
            x = x + 1
    finally:
        pass
    return x


def one_branch(x):
    if x > 0:
        z = x * 2
    return z


def else_branch_only(x):
    if x > 0:
        pass
    else:
        w = x - 1
    return w


def dtype_changes(x, n):
    acc = np.int64(0)
    for i in range(n):
        acc = acc + x[i]
    return acc


def shape_changes(x, n):
    v = x
    i = i64(0)
    while i < n:
        v = np.concatenate([v, v])
        i += 1
    return v


def traced_list_index(x, k):
    weights = [1.0, 2.0, 3.0]
    return x * weights[k]


def traced_range_list(x, n):
    # Staged since issue 3 (a buffer of run-time length; tests/shapes/test_dynamic_dims.py).
    rows = []
    for i in range(n):
        rows.append(x * i)
    return np.stack(rows)


def test_list_in_traced_range_is_staged():
    np.testing.assert_array_equal(fj.function(traced_range_list)(f64(2), i64(3)),
                                  [0.0, 2.0, 4.0])


def while_list(x):
    # Lists in while loops are growable lists now; one dtype per list is what stays an error.
    vals = [np.int32(1)]
    while x < 10:
        x = x * 2
        vals.append(x)
    return np.array(vals)


def break_list(x):
    kept = [np.float32(0)]
    for v in x:
        if v < 0:
            break
        kept.append(v)
    return np.array(kept)


def raises_in_loop(x, n):
    for i in range(n):
        if x[i] > 0:
            x = x + np.ones(3)[:2]
    return x


def helper_with_bad_line(v):
    return v + np.ones(5)[:2]


def calls_bad_helper(x):
    if x[0] > 0:
        x = helper_with_bad_line(x)
    return x


# -- tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,marker,words", [
    (generator, "yield x", ["yield"]),
    (nonlocal_write, "nonlocal total", ["nonlocal", "total"]),
    (try_around_if, "try:", ["`try`"]),
])
def test_conversion_errors(fn, marker, words):
    with pytest.raises(ConversionError) as info:
        fj.function(fn)(f64(1.0))
    msg = str(info.value)
    assert f"{FILE}:{line_of(fn, marker)}" in msg, msg
    for w in words:
        assert w in msg
    assert "fix:" in msg


@pytest.mark.parametrize("fn,args,var,marker", [
    (one_branch, (f64(1),), "z", "if x > 0"),
    (else_branch_only, (f64(1),), "w", "if x > 0"),
    (dtype_changes, (X, i64(3)), "acc", "for i in range(n)"),
    (shape_changes, (X, i64(2)), "v", "while i < n"),
    (while_list, (f64(1),), "vals", "while x < 10"),
    (break_list, (X,), "kept", "for v in x"),
])
def test_staging_errors_name_variable_and_line(fn, args, var, marker):
    with pytest.raises(StagingError) as info:
        fj.function(fn)(*args)
    msg = str(info.value)
    assert f"'{var}'" in msg, msg
    assert f"{FILE}:{line_of(fn, marker)}" in msg, msg
    assert "fix" in msg


def test_traced_value_as_python_list_index_shows_the_line():
    with pytest.raises(StagingError) as info:
        fj.function(traced_list_index)(f64(1), i64(1))
    frames = traceback.extract_tb(info.value.__traceback__)
    user = [f for f in frames if f.filename.endswith(FILE)]
    assert user[-1].lineno == line_of(traced_list_index, "weights[k]")
    msg = str(info.value)
    assert "Python index" in msg or "Python int" in msg
    assert f"{FILE}:{line_of(traced_list_index, 'weights[k]')}" in msg


def bool_of_traced(x):
    flag = bool(x > 0)
    return x if flag else -x


def test_bool_of_traced_names_the_line():
    with pytest.raises(StagingError, match="Python bool") as info:
        fj.function(bool_of_traced)(f64(1))
    assert f"{FILE}:{line_of(bool_of_traced, 'bool(x > 0)')}" in str(info.value)


@pytest.mark.parametrize("fn,marker", [
    (raises_in_loop, "np.ones(3)[:2]"),
    (calls_bad_helper, "np.ones(5)[:2]"),
])
def test_exceptions_in_converted_code_show_the_user_line(fn, marker):
    args = (np.ones(3), i64(3)) if fn is raises_in_loop else (np.ones(3),)
    with pytest.raises(ValueError) as info:
        fj.function(fn)(*args)
    frames = traceback.extract_tb(info.value.__traceback__)
    user = [f for f in frames if f.filename.endswith(FILE)]
    target = helper_with_bad_line if fn is calls_bad_helper else fn
    assert user[-1].lineno == line_of(target, marker)
    assert marker in user[-1].line


def test_one_branch_message_follows_the_template():
    with pytest.raises(StagingError) as info:
        fj.function(one_branch)(f64(1))
    msg = str(info.value)
    assert msg.startswith("'z' is assigned only in the `if` branch")
    assert f"assigned:   {FILE}:{line_of(one_branch, 'z = x * 2')}" in msg
    assert f"used:       {FILE}:{line_of(one_branch, 'return z')}" in msg
