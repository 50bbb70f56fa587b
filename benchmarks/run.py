"""Script entry point: ``python benchmarks/run.py [options]`` == ``python -m benchmarks``.

Puts the repository root on ``sys.path`` (so ``benchmarks`` is importable as a package) and
imports nothing else before the command line is parsed (``--threads`` must precede NumPy).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
