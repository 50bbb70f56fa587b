"""Exceptions at the runtime boundary: native statuses -> Python exceptions, trimmed tracebacks."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Callable, Sequence

from .. import config
from ..errors import InternalError
from . import jit

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Files whose frames are flowjit's machinery, not the user's code (tests and examples are not).
_INTERNAL_PREFIXES = tuple(os.path.join(_PACKAGE_DIR, d) + os.sep
                           for d in ("runtime", "ir", "autograph", "codegen")) + (
    os.path.join(_PACKAGE_DIR, "api.py"),)


def status_raiser(assert_messages: Sequence[str | None]) -> Callable[[int], None]:
    """`fail(status)`: raise the exception eager Python/NumPy raises for a non-zero status,
    reading the details from this thread's error record (`codegen/abi.py`'s table)."""
    from ..codegen.abi import exception_from_status

    def fail(status: int) -> None:
        raise exception_from_status(status, list(jit.STATE.err), assert_messages)

    return fail


def is_internal(filename: str) -> bool:
    """Whether a frame of `filename` is flowjit's (generated plans included)."""
    return filename.startswith("<flowjit") or os.path.abspath(filename).startswith(
        _INTERNAL_PREFIXES)


def trim(tb: TracebackType | None) -> TracebackType | None:
    """`tb` without flowjit's own frames, so the user sees their call and their source lines
    (STYLE.md: "cut the traceback at the user call"). Frames of AutoGraph-converted code carry
    the user's file name and line numbers, so they are kept."""
    frames = []
    while tb is not None:
        if not is_internal(tb.tb_frame.f_code.co_filename):
            frames.append(tb)
        tb = tb.tb_next
    out = None
    for t in reversed(frames):
        out = TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return out


def user_facing(e: BaseException) -> BaseException:
    """`e` with its traceback trimmed, unless it reports a flowjit bug or the user asked for
    full tracebacks (`FLOWJIT_TRACEBACK=full`)."""
    if isinstance(e, InternalError) or config.FULL_TRACEBACKS:
        return e
    return e.with_traceback(trim(e.__traceback__))
