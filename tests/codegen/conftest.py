"""Makes `support.py` importable as `codegen_support` (a unique name: the repository root,
which is on sys.path under `python -m pytest`, has its own `codegen` package)."""

import importlib.util
import pathlib
import sys

_spec = importlib.util.spec_from_file_location(
    "codegen_support", pathlib.Path(__file__).with_name("support.py"))
_module = importlib.util.module_from_spec(_spec)
sys.modules["codegen_support"] = _module
_spec.loader.exec_module(_module)
