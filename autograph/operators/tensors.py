"""Recognizing traced values without importing the IR: a Tensor can only exist once
`flowjit.ir.tracing` has been imported, so Python-only use of AutoGraph never loads the IR."""

import sys


def is_tensor(x):
    """Whether `x` is a traced value (`flowjit.ir.tracing.Tensor`)."""
    tracing = sys.modules.get("flowjit.ir.tracing")
    return tracing is not None and isinstance(x, tracing.Tensor)


def any_tensor(values):
    """Whether any of `values` is a traced value."""
    return any(is_tensor(v) for v in values)


def ir():
    """The IR functions the operators stage ops with (imported on first staged use)."""
    from flowjit.ir import builder, tracing
    from flowjit.ir.ops import control_flow, effects
    return _IR(builder, tracing, control_flow, effects)


class _IR:
    def __init__(self, builder, tracing, control_flow, effects):
        self.builder = builder
        self.tracing = tracing
        self.cond = control_flow.cond
        self.while_loop = control_flow.while_loop
        self.print_ = effects.print_
        self.assert_ = effects.assert_
        self.to_predicate = tracing.to_predicate
