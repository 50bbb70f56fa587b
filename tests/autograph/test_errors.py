"""ConversionError and StagingError: type, the user's file and line, the variable, the fix."""

import numpy as np
import pytest
import traceback

import flowjit as fj
from flowjit import autograph
from flowjit.errors import ConversionError, StagingError
import autograph_error_cases as cases


def _line_of(fn, text):
    import inspect
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_yield_is_a_conversion_error_with_a_caret():
    with pytest.raises(ConversionError) as info:
        autograph.convert(cases.generator)
    msg = str(info.value)
    assert "yield" in msg
    assert f"autograph_error_cases.py:{_line_of(cases.generator, 'yield')}:" in msg
    assert "        yield x * i\n" not in msg and "    yield x * i\n    ^" in msg


def test_global_write_is_a_conversion_error():
    with pytest.raises(ConversionError, match=r"global variables \(COUNTER\)") as info:
        autograph.to_code(cases.writes_global)
    assert f":{_line_of(cases.writes_global, 'global COUNTER')}:" in str(info.value)


def test_try_around_control_flow_is_a_conversion_error():
    with pytest.raises(ConversionError, match="`try` around control flow"):
        autograph.convert(cases.try_around_loop)


def test_no_source_is_a_conversion_error():
    namespace = {}
    exec("def made_by_exec(x):\n    return x\n", namespace)
    with pytest.raises(ConversionError, match="source code is not available"):
        autograph.convert(namespace["made_by_exec"])
    with pytest.raises(ConversionError):
        autograph.convert(len)


def test_variable_assigned_in_one_branch_names_it_and_its_lines():
    with pytest.raises(StagingError) as info:
        fj.function(cases.one_branch_only)(np.ones(3))
    msg = str(info.value)
    fn = cases.one_branch_only
    assert msg.startswith("'y' is assigned only in the `if` branch")
    assert f"condition:  autograph_error_cases.py:{_line_of(fn, 'if x.sum()')}" in msg
    assert f"assigned:   autograph_error_cases.py:{_line_of(fn, 'y = x * 2')}" in msg
    assert f"used:       autograph_error_cases.py:{_line_of(fn, 'return y')}" in msg
    assert "fix: give `y` a value before the `if`" in msg


def test_return_on_some_paths_only():
    with pytest.raises(StagingError, match="returns an array on some paths and None"):
        fj.function(cases.returns_none_on_some_paths)(np.float64(1.0))


def test_loop_variable_changing_dtype_names_the_variable_and_the_loop():
    with pytest.raises(StagingError) as info:
        fj.function(cases.dtype_changes_in_loop)(np.ones(3), np.int64(3))
    msg = str(info.value)
    assert "'acc'" in msg and "int64" in msg and "float64" in msg
    assert f"autograph_error_cases.py:{_line_of(cases.dtype_changes_in_loop, 'for i')}" in msg


def test_bool_of_a_traced_value_is_a_staging_error():
    with pytest.raises(StagingError, match="Python bool"):
        fj.function(cases.bool_of_traced)(np.float64(1.0))


def test_exceptions_in_converted_code_point_at_the_user_line():
    with pytest.raises(ValueError) as info:
        fj.function(cases.raises_inside)(np.ones(3), np.int64(3))
    frames = traceback.extract_tb(info.value.__traceback__)
    user = [f for f in frames if f.filename.endswith("autograph_error_cases.py")]
    assert user, frames
    assert user[-1].lineno == _line_of(cases.raises_inside, "x = x + np.ones(3)[:2]")
    assert "np.ones(3)[:2]" in user[-1].line
