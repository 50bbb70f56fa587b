"""Test-wide settings: verify every graph after every pass; make the shared test helpers
(`fjtest`) and `benchmarks` importable."""

import os
import pathlib
import sys

os.environ.setdefault("FLOWJIT_VERIFY", "1")

# `benchmarks/` sits at the repository root beside the package's subpackages and is not
# installed. Appended, not prepended, so the root's modules never shadow the installed flowjit.
_TESTS = pathlib.Path(__file__).resolve().parent
for _path in (str(_TESTS), str(_TESTS.parent)):
    if _path not in sys.path:
        sys.path.append(_path)
