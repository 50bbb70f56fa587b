"""The trace context: the stack of regions being built, and `emit`, which appends an op."""

from __future__ import annotations

import contextlib
import linecache
import os
import sys
import threading
from typing import Any, Mapping, Sequence

from ..errors import FlowJitError, Location
from .core import BlockArg, Op, Region, Value
from .types import TensorType

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# flowjit's own code: its subpackages and top-level modules. The repository root is the package,
# so `tests/` and `examples/` sit beside them and are user code.
_INTERNAL_DIRS = tuple(os.path.join(_PACKAGE_DIR, d) + os.sep
                       for d in ("autograph", "ir", "codegen", "runtime"))


def _is_internal(filename: str) -> bool:
    path = os.path.abspath(filename)
    if path.startswith(_INTERNAL_DIRS) or os.path.dirname(path) == _PACKAGE_DIR:
        return True
    # NumPy's Python-level wrappers (np.sum -> _wrapreduction) sit between user code and us.
    return filename.startswith("<frozen") or f"{os.sep}numpy{os.sep}" in path


class _Frame:
    """One region under construction, plus the journal of outer tensors it mutated."""

    __slots__ = ("region", "journal")

    def __init__(self, region: Region):
        self.region = region
        # (tensor, value before the first mutation in this region), in mutation order; lets
        # cond/while_loop undo a region's writes to outer tensors and carry them explicitly.
        self.journal: list[tuple[Any, Value]] = []


class _State(threading.local):
    def __init__(self):
        self.frames: list[_Frame] = []


_state = _State()


def in_trace() -> bool:
    """True while a function is being traced on this thread."""
    return bool(_state.frames)


def current_frame() -> _Frame:
    if not _state.frames:
        raise FlowJitError("no graph is being traced; traced values only exist inside an "
                           "fj.function while it traces")
    return _state.frames[-1]


def depth() -> int:
    """How many regions are open (1 = the function body)."""
    return len(_state.frames)


@contextlib.contextmanager
def region(arg_types: Sequence[TensorType] = (), name_hints: Sequence[str | None] | None = None):
    """Open a new region with arguments of `arg_types`; yields `(region, args)`.

    Ops emitted inside the `with` block go to this region. The caller sets `region.yields`.
    """
    hints = name_hints or (None,) * len(arg_types)
    args = tuple(BlockArg(t, None, i, h) for i, (t, h) in enumerate(zip(arg_types, hints)))
    new = Region(args=args)
    _state.frames.append(_Frame(new))
    try:
        yield new, args
    finally:
        _state.frames.pop()


@contextlib.contextmanager
def detached():
    """Suspend the current trace (e.g. to run Python at trace time with no graph)."""
    saved = _state.frames
    _state.frames = []
    try:
        yield
    finally:
        _state.frames = saved


def user_location() -> Location | None:
    """The innermost frame of the user's code on the Python stack (AutoGraph compiles
    converted code with the user's file name and line numbers, so its frames count)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_internal(filename):
            lineno = frame.f_lineno
            return Location(filename, lineno, linecache.getline(filename, lineno).rstrip(),
                            frame.f_code.co_name)
        frame = frame.f_back
    return None


def emit(opdef, operands: Sequence[Value], attrs: Mapping[str, Any] | None = None, *,
         result_types: Sequence[TensorType] | None = None, regions: Sequence[Region] = (),
         name_hints: Sequence[str | None] | None = None) -> Op:
    """Append an op to the region being built and return it.

    `result_types` defaults to `opdef.infer(operand types, attrs)`, which raises NumPy's
    exception where NumPy would.
    """
    attrs = dict(attrs or {})
    if result_types is None:
        result_types = opdef.infer([v.type for v in operands], attrs)
    op = Op(opdef, operands, attrs, result_types, regions, user_location(), name_hints)
    current_frame().region.ops.append(op)
    return op
