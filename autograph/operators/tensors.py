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


def in_trace():
    """Whether a graph is being traced now (ops emitted now run at every call)."""
    builder = sys.modules.get("flowjit.ir.builder")
    return builder is not None and builder.in_trace()


def ir():
    """The IR functions the operators stage ops with (imported on first staged use)."""
    from flowjit.ir import builder, pytree, tracing, types
    from flowjit.ir.ops import control_flow, effects
    return _IR(builder, tracing, control_flow, effects, pytree, types)


class _IR:
    def __init__(self, builder, tracing, control_flow, effects, pytree, types):
        self.builder = builder
        self.pytree = pytree
        self.types = types
        self.tracing = tracing
        self.cond = control_flow.cond
        self.while_loop = control_flow.while_loop
        self.print_ = effects.print_
        self.assert_ = effects.assert_
        self.to_predicate = tracing.to_predicate
