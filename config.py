"""Process-wide switches: eager execution for debugging, verification of graphs after passes."""

from __future__ import annotations

import os

_RUN_EAGERLY = False
VERIFY = os.environ.get("FLOWJIT_VERIFY", "") not in ("", "0")
#: Keep flowjit's own frames in tracebacks of user errors (`FLOWJIT_TRACEBACK=full`).
FULL_TRACEBACKS = os.environ.get("FLOWJIT_TRACEBACK", "") == "full"


def run_functions_eagerly(enabled: bool) -> None:
    """Run every `fj.function` as plain Python + NumPy (True) or compiled (False, the default).

    This is the eager reference a compiled function must match (API.md, "The one rule").
    """
    global _RUN_EAGERLY
    _RUN_EAGERLY = bool(enabled)


def functions_run_eagerly() -> bool:
    """Whether `run_functions_eagerly(True)` is in force."""
    return _RUN_EAGERLY


def cache_dir() -> str:
    """Where `fj.function(cache=True)` keeps object code: `FLOWJIT_CACHE_DIR`, else
    `$XDG_CACHE_HOME/flowjit`, else `~/.cache/flowjit` (read at each use)."""
    return os.environ.get("FLOWJIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "flowjit")
