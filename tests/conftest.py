"""Test-wide settings: verify every graph after every pass."""

import os

os.environ.setdefault("FLOWJIT_VERIFY", "1")
