"""The operators in Python mode (plain values): they behave exactly as Python does."""

import numpy as np
import pytest

from flowjit.autograph import operators as ag


class _State:
    """get_state/set_state over a dict, as the converted code's closures do over locals."""

    def __init__(self, **values):
        self.names = tuple(sorted(values))
        self.values = dict(values)

    def get(self):
        return tuple(self.values[n] for n in self.names)

    def set(self, state):
        self.values.update(zip(self.names, state))


def test_if_stmt_runs_exactly_one_branch():
    calls = []
    ag.if_stmt(np.int64(0), lambda: calls.append("if"), lambda: calls.append("else"),
               lambda: (), lambda s: None, (), 0)
    ag.if_stmt([1], lambda: calls.append("if"), lambda: calls.append("else"),
               lambda: (), lambda s: None, (), 0)
    assert calls == ["else", "if"]


def test_if_stmt_uses_numpy_truthiness():
    with pytest.raises(ValueError, match="truth value of an array"):
        ag.if_stmt(np.array([1, 2]), lambda: None, lambda: None, lambda: (), lambda s: None,
                   (), 0)


def test_while_stmt_and_for_stmt_in_python():
    st = _State(i=0, s=0)

    def body():
        st.values["s"] += st.values["i"]
        st.values["i"] += 1

    ag.while_stmt(lambda: st.values["i"] < 5, body, st.get, st.set, st.names)
    assert st.values == {"i": 5, "s": 10}

    seen = []
    ag.for_stmt([3, 4, 5], None, seen.append, lambda: (), lambda s: None, (), {})
    assert seen == [3, 4, 5]


def test_for_stmt_extra_test_stops_without_consuming_more_items():
    consumed = []

    def gen():
        for i in range(10):
            consumed.append(i)
            yield i

    st = _State(break_=False)

    def body(i):
        if i == 2:
            st.values["break_"] = True

    ag.for_stmt(gen(), lambda: not st.values["break_"], body, st.get, st.set, st.names, {})
    assert consumed == [0, 1, 2]


def test_and_or_return_an_operand_and_short_circuit():
    calls = []

    def rhs():
        calls.append(1)
        return "rhs"

    assert ag.and_(lambda: 0, rhs) == 0 and calls == []
    assert ag.and_(lambda: 2, rhs) == "rhs" and calls == [1]
    assert ag.or_(lambda: np.int64(0), lambda: 5) == 5
    assert ag.or_(lambda: "a", rhs) == "a" and calls == [1]
    assert ag.not_(np.float64("nan")) is False and ag.not_(0) is True


def test_compare_chain_evaluates_middle_once_and_short_circuits():
    calls = []

    def middle():
        calls.append("m")
        return 3

    def never():
        raise AssertionError("must not be evaluated")

    assert ag.compare_chain(1, (("<", middle), ("<", lambda: 5))) is True
    assert calls == ["m"]
    assert ag.compare_chain(1, (("<", lambda: 0), ("<", never))) is False
    assert ag.compare_chain(1, (("in", lambda: [1, 2]),)) is True


def test_if_exp_is_lazy():
    assert ag.if_exp(True, lambda: 1, lambda: 1 / 0) == 1
    assert ag.if_exp(0, lambda: 1 / 0, lambda: 2) == 2


def test_print_and_assert_in_python(capsys):
    ag.print_(np.float64(1.5), np.int64(2), sep=", ")
    assert capsys.readouterr().out == "1.5, 2\n"
    ag.assert_(np.bool_(True), lambda: "unused")
    with pytest.raises(AssertionError, match="^bad 3$"):
        ag.assert_(False, lambda: f"bad {3}")
    with pytest.raises(AssertionError):
        ag.assert_(0)


def test_undefined_raises_pythons_error_on_use():
    u = ag.Undefined("x")
    with pytest.raises(UnboundLocalError, match="local variable 'x'"):
        u + 1
    with pytest.raises(UnboundLocalError):
        ag.converted_call(print, (u,), None)
    assert ag.retval(ag.UndefinedReturnValue()) is None


def test_converted_call_dispatch():
    assert ag.converted_call(np.add, (1, 2), None) == 3
    assert list(ag.converted_call(range, (3,), None)) == [0, 1, 2]
    assert ag.converted_call(max, (1, 5, 3), None) == 5
    assert ag.converted_call(sorted, ([3, 1],), {"reverse": True}) == [3, 1]

    def user(x, y=1):
        return x + y if x > 0 else -x

    assert ag.converted_call(user, (2,), {"y": 3}) == 5
    assert ag.converted_call(user, (-2,), None) == 2
