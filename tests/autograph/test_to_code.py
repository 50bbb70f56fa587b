"""Converter output: `to_code` is readable, re-compilable, and keeps the user's line numbers."""

import inspect

import numpy as np
import pytest

from flowjit import autograph
from flowjit.autograph import operators
import autograph_cases as cases


def _compiles(source):
    code = compile(source, "<to_code>", "exec")
    namespace = {"ag__": operators, "np": np}
    exec(code, namespace)
    return namespace


def test_if_becomes_if_stmt_with_state_functions():
    src = autograph.to_code(cases.sign_branch)
    assert "ag__.if_stmt(x > 0, if_body" in src
    assert "def get_state" in src and "def set_state" in src and "nonlocal y" in src
    assert "y = ag__.Undefined('y')" in src
    ns = _compiles(src)
    for v in (3.0, -2.0, 0.0):
        assert ns["sign_branch"](v) == cases.sign_branch(v)


def test_while_and_conditional_expression():
    src = autograph.to_code(cases.collatz_steps)
    assert "ag__.while_stmt(loop_test, loop_body, get_state, set_state, ('n', 'steps'))" in src
    assert "ag__.if_exp(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1" in src
    assert _compiles(src)["collatz_steps"](27) == 111


def test_for_loop_carries_only_live_variables():
    src = autograph.to_code(cases.first_defined_in_loop)
    assert "('last', 's')" in src  # `t` and `i` are local to an iteration.
    assert "{'iterate_names': 'i'}" in src
    assert "last = ag__.Undefined('last')" in src
    x = np.arange(5.0)
    assert _compiles(src)["first_defined_in_loop"](x, 3) == cases.first_defined_in_loop(x, 3)


def test_break_continue_return_become_flags():
    src = autograph.to_code(cases.while_break_continue)
    assert "break_ = True" in src and "continue_ = True" in src and "break" not in \
        src.replace("break_", "")
    assert "ag__.and_(lambda: ag__.not_(break_), lambda: i < n)" in src
    src = autograph.to_code(cases.nested_return)
    assert "retval_ = ag__.UndefinedReturnValue()" in src
    assert "return ag__.retval(retval_)" in src
    assert "ag__.not_(do_return)" in src
    for x in (np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 1.0, 1.0, 0.0])):
        assert _compiles(src)["nested_return"](x, 4) == cases.nested_return(x, 4)


def test_logical_and_chained_comparisons():
    src = autograph.to_code(cases.logical_ops)
    assert "ag__.and_(lambda: i < n, lambda: x[i] >= 0)" in src
    assert "ag__.or_(lambda: x[i] > 1, lambda: ag__.not_(x[i] < 3))" in src
    src = autograph.to_code(cases.chained)
    assert "ag__.compare_chain(lo, (('<', lambda: x), ('<', lambda: hi)))" in src


def test_calls_go_through_converted_call():
    src = autograph.to_code(cases.calls_helper)
    assert "ag__.converted_call(helper, (x,), None)" in src
    src = autograph.to_code(cases.sum_range)
    assert "ag__.converted_call(range, (n,), None)" in src


def test_converted_code_keeps_the_user_file_and_lines():
    converted = autograph.convert(cases.sign_branch)
    # convert() returns a thin wrapper that adds the user's line to StagingErrors.
    assert converted.__name__ == "sign_branch"
    converted = converted.__wrapped__
    assert converted.__code__.co_filename == cases.sign_branch.__code__.co_filename
    assert converted.__code__.co_firstlineno == cases.sign_branch.__code__.co_firstlineno
    assert inspect.getsource(converted) == inspect.getsource(cases.sign_branch)
    assert converted.__name__ == "sign_branch" and converted.__qualname__ == "sign_branch"


def test_convert_is_cached_and_shares_the_closure():
    def make(k):
        def add_k(x):
            if x > 0:
                x = x + k
            return x
        return add_k

    f3, f5 = make(3), make(5)
    assert autograph.convert(f3) is autograph.convert(f3)
    assert autograph.convert(f3)(1) == 4 and autograph.convert(f5)(1) == 6
    assert autograph.convert(f3)(-1) == -1


def test_do_not_convert():
    @autograph.do_not_convert
    def plain(x):
        return x

    assert autograph.convert(plain) is plain


def test_source_map_points_generated_lines_at_the_user_statement():
    src = autograph.to_code(cases.sign_branch).splitlines()
    mapping = autograph.source_map(cases.sign_branch)
    first = cases.sign_branch.__code__.co_firstlineno
    call = next(i for i, line in enumerate(src, 1) if "ag__.if_stmt(x > 0" in line)
    assert mapping[call].lineno == first + 1
    assert mapping[call].source_line.strip() == "if x > 0:"
    assign = next(i for i, line in enumerate(src, 1) if line.strip() == "y = x + 100")
    assert mapping[assign].lineno == first + 6
    assert mapping[1].filename.endswith("autograph_cases.py")


def test_list_appends_become_list_append_and_the_list_a_loop_variable():
    # A list the loop appends to is carried like any variable (a buffer when staged).
    src = autograph.to_code(cases.staged_state_with_list_append)
    assert "out = ag__.list_append(out, s)" in src
    assert "python_effects" not in src
    assert "python_effects" not in autograph.to_code(cases.sum_range)


def test_python_effects_option_marks_loops_that_mutate_other_containers():
    src = autograph.to_code(cases.mutates_dict_in_loop)
    assert "'python_effects': True" in src


def _family_cases():
    import test_ag_calls
    import test_ag_conditionals
    import test_ag_effects
    import test_ag_expressions
    import test_ag_lists
    import test_ag_loop_control
    import test_ag_loops
    for module in (test_ag_conditionals, test_ag_loops, test_ag_loop_control,
                   test_ag_expressions, test_ag_calls, test_ag_effects, test_ag_lists):
        for fn, inputs in module.CASES:
            yield pytest.param(fn, inputs[0], id=f"{module.__name__[8:]}-{fn.__name__}")


@pytest.mark.parametrize("fn,args", list(_family_cases()))
def test_to_code_recompiles_and_runs_like_the_original(fn, args):
    import contextlib
    import copy
    import io

    from flowjit.autograph import operators
    src = autograph.to_code(fn)
    namespace = dict(fn.__globals__, ag__=operators)
    exec(compile(src, "<to_code>", "exec"), namespace)
    recompiled = namespace[fn.__name__]
    outs = []
    for f in (fn, recompiled):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                result = ("ok", f(*copy.deepcopy(args)))
            except Exception as e:  # noqa: BLE001 - compared by type
                result = ("raise", type(e))
        outs.append((result, buf.getvalue()))
    (r1, p1), (r2, p2) = outs
    assert p1 == p2 and r1[0] == r2[0]
    if r1[0] == "ok":
        from ag_differential import assert_same_value
        assert_same_value(r2[1], r1[1])
    else:
        assert r1[1] is r2[1]
