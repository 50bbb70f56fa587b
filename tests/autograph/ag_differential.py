"""The shared differential helper (tests/fjtest/differential.py) and graph helpers.

`assert_same_as_eager(fn, *args)` compares compiled against eager: values, dtypes, shapes,
exception types, printed text and argument mutation. `check_inputs` runs it on several inputs.
"""

import flowjit as fj
from fjtest.differential import assert_same_as_eager, assert_same_value


def op_counts(fn, *args, **kwargs):
    """`op_counts()` of the graph `fj.function(fn)` traces for `args`."""
    return fj.function(fn, **kwargs).get_concrete_function(*args).traced_graph.op_counts()


def graph_text(fn, *args, **kwargs):
    return str(fj.function(fn, **kwargs).get_concrete_function(*args).traced_graph)


__all__ = ["assert_same_as_eager", "assert_same_value", "op_counts", "graph_text"]
