"""`converted_call`: how the converted code calls anything.

User functions are converted (recursively, cached per function) and called; NumPy, builtins,
flowjit itself and anything without Python source are called as they are; a few builtins
(`range`, `enumerate`, `zip`, `min`, `max`, `print`) get versions that accept traced values.
"""

import builtins
import functools
import inspect
import types

import numpy as np

from . import effects, lists, py_builtins, variables

#: Modules whose functions are never converted (their control flow is not on traced values,
#: or they implement the staging itself).
_DO_NOT_CONVERT_PREFIXES = ("numpy", "flowjit.ir", "flowjit.autograph", "flowjit.runtime",
                            "flowjit.codegen", "flowjit.api", "gast", "llvmlite", "builtins",
                            "functools", "itertools", "math", "operator", "collections",
                            "typing", "abc", "copy", "enum", "dataclasses", "inspect",
                            "contextlib", "threading", "re", "os", "sys", "warnings", "pytest",
                            "_pytest")

_OVERLOADS = dict(py_builtins.BUILTINS)
_OVERLOADS[builtins.print] = effects.print_
# np.stack / np.array of a list a staged loop appended to: its preallocated buffer.
_OVERLOADS.update({f: lists.stack(f) for f in (np.stack, np.array, np.asarray)})


def _overload(f):
    try:
        return _OVERLOADS.get(f)
    except TypeError:  # Unhashable callables.
        return None


def _is_flowjit_function(f):
    return hasattr(f, "python_function") and type(f).__module__.startswith("flowjit.")


def _should_convert(fn):
    """Whether the plain Python function `fn` should be converted before the call."""
    if getattr(fn, "__ag_do_not_convert__", False):
        return False
    module = getattr(fn, "__module__", None) or ""
    if module == "flowjit" or any(module == p or module.startswith(p + ".")
                                  for p in _DO_NOT_CONVERT_PREFIXES):
        return False
    if inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn):
        return False  # Called as is: their iteration runs (and unrolls) in Python.
    from .. import conversion
    return not conversion.is_converted_code(fn.__code__)


def _numpy_traced_argument_redirect(f, args, kwargs):
    """flowjit's implementation of a NumPy callable that NumPy itself never dispatches to
    traced values (`np.zeros(x.shape)` with a symbolic dimension, `np.arange(n)`,
    `np.float32(x)`), when an argument is traced; else None (call `f` as it is)."""
    module = getattr(f, "__module__", None) or ""
    if not (module == "numpy" or module.startswith("numpy.")):
        return None
    from ...ir.ops.creation import traced_argument_function
    return traced_argument_function(f, args, kwargs)


def converted_call(f, args, kwargs):
    """Calls `f(*args, **kwargs)` from converted code, converting `f` if it is user code."""
    kwargs = kwargs or {}
    for a in args:
        if isinstance(a, variables.Undefined):
            a._unbound()
    overload = _overload(f) or _numpy_traced_argument_redirect(f, args, kwargs)
    if overload is not None:
        return overload(*args, **kwargs)
    if _is_flowjit_function(f):
        # A nested fj.function is inlined into the graph being traced.
        f = f.python_function
    target, bound_self = f, None
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        target, bound_self = f.__func__, f.__self__
    elif isinstance(f, functools.partial) and isinstance(f.func, types.FunctionType):
        return converted_call(f.func, tuple(f.args) + tuple(args), {**f.keywords, **kwargs})
    if not isinstance(target, types.FunctionType) or not _should_convert(target):
        return f(*args, **kwargs)
    from .. import conversion
    converted = conversion.convert_or_none(target)
    if converted is None:  # No source (e.g. defined in a REPL): call it as it is.
        return f(*args, **kwargs)
    if bound_self is not None:
        return converted(bound_self, *args, **kwargs)
    return converted(*args, **kwargs)
