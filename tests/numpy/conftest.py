"""Makes `support.py` importable as `numpy_support` (a unique module name: tests/codegen has a
`support.py` too)."""

import importlib.util
import pathlib
import sys

_spec = importlib.util.spec_from_file_location(
    "numpy_support", pathlib.Path(__file__).with_name("support.py"))
_module = importlib.util.module_from_spec(_spec)
sys.modules["numpy_support"] = _module
_spec.loader.exec_module(_module)
