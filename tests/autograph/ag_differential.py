"""The shared differential helper (tests/runtime/fj_differential.py), importable from here.

`assert_same_as_eager(fn, *args)` compares compiled against eager: values, dtypes, shapes,
exception types, printed text and argument mutation. `check_inputs` runs it on several inputs.
"""

import pathlib
import sys

_RUNTIME_TESTS = str(pathlib.Path(__file__).resolve().parent.parent / "runtime")
if _RUNTIME_TESTS not in sys.path:
    sys.path.append(_RUNTIME_TESTS)

from fj_differential import assert_same_as_eager, assert_same_value  # noqa: E402

import flowjit as fj  # noqa: E402


def op_counts(fn, *args, **kwargs):
    """`op_counts()` of the graph `fj.function(fn)` traces for `args`."""
    return fj.function(fn, **kwargs).get_concrete_function(*args).traced_graph.op_counts()


def graph_text(fn, *args, **kwargs):
    return str(fj.function(fn, **kwargs).get_concrete_function(*args).traced_graph)


__all__ = ["assert_same_as_eager", "assert_same_value", "op_counts", "graph_text"]
