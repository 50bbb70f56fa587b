"""Test-wide settings: verify every graph after every pass; make `benchmarks` importable."""

import os
import pathlib
import sys

os.environ.setdefault("FLOWJIT_VERIFY", "1")

# `benchmarks/` sits at the repository root beside the package's subpackages and is not
# installed. Appended, not prepended, so the root's modules never shadow the installed flowjit.
_ROOT = str(pathlib.Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
