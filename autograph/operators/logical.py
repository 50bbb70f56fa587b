"""`and`, `or`, `not` and chained comparisons with Python's meaning, staged on traced values.

`a and b` returns an operand, not a bool, and evaluates `b` only if `a` is truthy; on a traced
`a` the choice becomes a `cond` whose then-branch alone evaluates `b`, so a guard such as
`i < n and x[i] > 0` never evaluates `x[i]` out of bounds at run time.
"""

import operator

from . import tensors

_COMPARE = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "is": operator.is_, "is not": operator.is_not,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}


def and_(a_fn, b_fn):
    """`a and b` with `a = a_fn()`, `b = b_fn()` evaluated only if needed."""
    a = a_fn()
    if tensors.is_tensor(a):
        return tensors.ir().cond(a, lambda: (b_fn(),), lambda: (a,))[0]
    return b_fn() if a else a


def or_(a_fn, b_fn):
    """`a or b` with `a = a_fn()`, `b = b_fn()` evaluated only if needed."""
    a = a_fn()
    if tensors.is_tensor(a):
        return tensors.ir().cond(a, lambda: (a,), lambda: (b_fn(),))[0]
    return a if a else b_fn()


def not_(a):
    """`not a`: a traced bool for a traced `a` (NumPy truthiness), else Python's `not`."""
    if tensors.is_tensor(a):
        import numpy as np
        return np.logical_not(tensors.ir().to_predicate(a))
    return not a


def compare_chain(left, steps):
    """`left op1 x1 op2 x2 ...` with each `xi = fn()` evaluated once, and only if needed.

    Args:
      left: the first operand (already evaluated).
      steps: `((op, fn), ...)`, `op` one of '<', '<=', '==', 'is', 'in', ...
    """
    op, right_fn = steps[0]
    right = right_fn()
    result = _COMPARE[op](left, right)
    if len(steps) == 1:
        return result
    return and_(lambda: result, lambda: compare_chain(right, steps[1:]))
