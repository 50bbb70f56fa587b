"""Lowering rules by op family; importing this package registers them in `lower.LOWERINGS`."""

from . import (control_flow, creation, effects, elementwise, indexing,  # noqa: F401
               linalg, reduction, scan, shape)
from . import lists  # noqa: F401  (growable lists)
