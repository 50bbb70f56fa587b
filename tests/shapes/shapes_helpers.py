"""Shared helpers for the shape-polymorphism tests (tests/shapes)."""

import numpy as np

import flowjit as fj
from fjtest.differential import assert_same_as_eager, assert_same_value

LENGTHS = (0, 1, 2, 3, 7)


def rows(n, cols=3, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed + n)
    return (rng.standard_normal((n, cols)) * 4).astype(dtype)


def check_lengths(fn, specs, make_args, lengths=LENGTHS):
    """`fn` compiled with `input_signature=specs` matches eager NumPy for `make_args(n)` at
    every length, and traces once."""
    compiled = fj.function(fn, input_signature=specs)
    for n in lengths:
        assert_same_as_eager(fn, *make_args(n), compiled=compiled)
    assert compiled.trace_count == 1, compiled.trace_count
    return compiled


def out_type(compiled, *specs):
    return str(compiled.get_concrete_function(*specs).graph.outputs[0].type)


__all__ = ["assert_same_as_eager", "assert_same_value", "check_lengths", "out_type", "rows",
           "LENGTHS"]
