"""Converting live functions: the cache, `convert`, `to_code` and `do_not_convert`."""

import functools
import linecache
import os
import threading
import types
import weakref

from ..errors import ConversionError, StagingError
from . import operators, transpiler
from .pyct import loader, origin_info, parser

_lock = threading.RLock()
# code object -> converted FunctionDef: the transformation depends only on the source.
_transformed = {}
# function -> converted function: a new function per closure (same code, other cells).
_converted = weakref.WeakKeyDictionary()
# Code objects that are already converted code (the functions and lambdas converted code
# defines): converted_call calls them as they are.
_converted_codes = set()


def _unwrap(fn):
    if hasattr(fn, "python_function") and type(fn).__module__.startswith("flowjit."):
        return fn.python_function
    return fn


def _transform(fn):
    code = fn.__code__
    if code not in _transformed:
        try:
            node, ctx = transpiler.transform_function(fn)
        except parser.SourceUnavailableError as e:
            raise ConversionError(
                f"flowjit cannot convert {fn.__qualname__}: its source code is not available "
                f"({e}).\nfix: define the function in a .py file (not in an interactive "
                f"session or with exec), or pass autograph=False if it has no control flow on "
                f"traced values.") from None
        _transformed[code] = node
    return _transformed[code]


def _register_codes(code):
    _converted_codes.add(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _register_codes(const)


def convert(fn):
    """Returns the converted version of `fn`, cached per function.

    The converted function has the same signature, globals and closure; its control flow on
    traced values stages graph ops (see flowjit.autograph.operators).

    Raises:
      flowjit.errors.ConversionError: no source is available for `fn`, or it uses a feature
        that cannot be converted; the message shows the user's line.
    """
    fn = _unwrap(fn)
    if isinstance(fn, types.MethodType):
        return types.MethodType(convert(fn.__func__), fn.__self__)
    if not isinstance(fn, types.FunctionType):
        raise ConversionError(f"flowjit cannot convert {fn!r}: it is not a Python function "
                              f"with source code.")
    if getattr(fn, "__ag_do_not_convert__", False) or fn.__code__ in _converted_codes:
        return fn
    with _lock:
        converted = _converted.get(fn)
        if converted is None:
            node = _transform(fn)
            converted = loader.load_function(node, fn, {"ag__": operators},
                                             fn.__code__.co_filename)
            _register_codes(converted.__code__)
            converted = _locating_errors(converted)
            _converted[fn] = converted
    return converted


def _locating_errors(converted):
    """Wraps a converted function so that a StagingError raised directly by the user's code
    (e.g. `bool()` or a Python list index on a traced value) names the user's file and line.
    The exception is updated in place, so its traceback still ends at the user's line."""
    filename = converted.__code__.co_filename

    @functools.wraps(converted)
    def call(*args, **kwargs):
        try:
            return converted(*args, **kwargs)
        except StagingError as e:
            if not getattr(e, "_ag_located", False) and e.args:
                where = _user_line(e.__traceback__, filename)
                if where is not None:
                    e.args = (f"{e.args[0]}\n  at:  {where}",) + e.args[1:]
                e._ag_located = True
            raise

    _register_codes(call.__code__)
    return call


def _user_line(tb, filename):
    """`file:line   source` of the innermost traceback entry in `filename`."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    if found is None:
        return None
    source = linecache.getline(filename, found).rstrip()
    return f"{os.path.basename(filename)}:{found}   {source}"


def convert_or_none(fn):
    """`convert(fn)`, or None if `fn` has no source (the caller then runs it unconverted)."""
    try:
        return convert(fn)
    except ConversionError as e:
        if "source code is not available" in str(e):
            return None
        raise


def is_converted_code(code):
    """Whether `code` belongs to converted code (so converting it again is not needed)."""
    return code in _converted_codes


def to_code(fn):
    """The converted source of `fn`, as readable Python that `compile()` accepts.

    It references the operators as `ag__` (`flowjit.autograph.operators`).
    """
    fn = _unwrap(fn)
    if isinstance(fn, types.MethodType):
        fn = fn.__func__
    with _lock:
        return loader.source_of(_transform(fn)) + "\n"


def source_map(fn):
    """`{line of to_code(fn): OriginInfo}`: where each line of the converted source comes from
    in the user's file (generated lines map to the statement they replace)."""
    fn = _unwrap(fn)
    if isinstance(fn, types.MethodType):
        fn = fn.__func__
    with _lock:
        return origin_info.source_map(_transform(fn))


def do_not_convert(fn):
    """Decorator: calls from converted code run `fn` as it is, without converting it."""
    fn.__ag_do_not_convert__ = True
    return fn
