"""The textual IR (golden text), DOT output and op_counts."""

import textwrap

import numpy as np

from flowjit.ir import tracing, types as T
from flowjit.ir.ops.control_flow import cond, while_loop


def collatz_steps(n):
    def body(n, steps):
        n = cond(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1, names=("n",))
        return n, steps + 1
    return while_loop(lambda n, steps: n != 1, body, (n, 0), names=("n", "steps"))[1]


def graph():
    return tracing.trace(collatz_steps, [T.scalar(np.int64)], lambda ts: (tuple(ts), {}),
                         name="collatz_steps", arg_names=["n"]).graph


def test_printed_graph_golden():
    expected = textwrap.dedent("""\
        func @collatz_steps(%n: int64[]) -> (int64[]) {
          %n.1: int64[], %steps: int64[] = while_loop %n, 0:int64 {
            cond(%n.2: int64[], %steps.1: int64[]) {
              %0: bool[] = not_equal %n.2, 1:int64
              yield %0
            }
            body(%n.3: int64[], %steps.2: int64[]) {
              %1: int64[] = remainder %n.3, 2:int64
              %2: bool[] = equal %1, 0:int64
              %n.4: int64[] = cond %2 {
                then {
                  %3: int64[] = floor_divide %n.3, 2:int64
                  yield %3
                }
                else {
                  %4: int64[] = multiply 3:int64, %n.3
                  %5: int64[] = add %4, 1:int64
                  yield %5
                }
              }
              %6: int64[] = add[python=True] %steps.2, 1:int64
              yield %n.4, %6
            }
          }
          return %steps
        }""")
    assert str(graph()) == expected, str(graph())


def test_locations_point_at_this_file():
    text = graph().format(locations=True)
    assert "# test_printer.py:" in text


def test_op_counts_include_regions():
    assert graph().op_counts() == {"while_loop": 1, "not_equal": 1, "remainder": 1, "equal": 1,
                                   "cond": 1, "floor_divide": 1, "multiply": 1, "add": 2}


def test_dot_has_a_cluster_per_region():
    dot = graph().to_dot()
    assert dot.startswith('digraph "collatz_steps"')
    for cluster in ("cluster_main", "while_loop.cond", "while_loop.body", "cond.then", "cond.else"):
        assert cluster in dot
