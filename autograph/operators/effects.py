"""`print` and `assert`: ops that run at every call when they involve traced values."""

import builtins

from . import tensors


def _leaves(x):
    if isinstance(x, (list, tuple)):
        for item in x:
            yield from _leaves(item)
    elif isinstance(x, dict):
        for item in x.values():
            yield from _leaves(item)
    else:
        yield x


def print_(*args, sep=" ", end="\n", file=None, flush=False):
    """`print(...)`: a `print` op while tracing, else Python's print.

    Inside a trace the print is staged even when no argument is traced: eagerly it prints at
    every call, in program order (and only if its branch runs), which a print run once at
    trace time would not do.
    """
    if file is None and tensors.any_tensor(_leaves(args)):
        tensors.ir().print_(*args, sep=sep, end=end)
        return None
    if file is None and tensors.in_trace():
        _print_op(args, sep, end)
        return None
    builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
    return None


def _print_op(args, sep, end):
    """A `print` op whose arguments are all Python values (its template has no slots)."""
    from flowjit.ir import builder
    from flowjit.ir.ops import effects
    builder.emit(effects.OPS_PRINT, [], {"template": tuple(args), "sep": sep, "end": end})


def assert_(test, msg_fn=None):
    """`assert test, msg`: an `assert` op on a traced test, else Python's assert.

    `msg_fn` builds the message; Python evaluates it only when the assertion fails (a staged
    assertion evaluates it once, at trace time).
    """
    if tensors.is_tensor(test):
        tensors.ir().assert_(test, msg_fn)
        return None
    if not test:
        if msg_fn is None:
            raise AssertionError()
        raise AssertionError(msg_fn())
    return None
