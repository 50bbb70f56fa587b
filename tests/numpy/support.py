"""Value strategies for the NumPy coverage tests; the differential check itself is the shared
`fjtest.differential`."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fjtest.differential import (  # noqa: F401 (re-exported for the numpy tests)
    assert_close_floats, assert_same_as_eager, assert_same_value, ulp_distance)

DTYPES = [np.dtype(d) for d in (np.bool_, np.int32, np.int64, np.float32, np.float64)]

#: Modest example counts: every distinct signature costs a compile (~50-200 ms).
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


# -- value strategies ---------------------------------------------------------------------------

def specials(dtype) -> list:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return [False, True]
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return [0, 1, -1, 2, -2, 3, 7, -7, info.min, info.max, info.min + 1, info.max - 1]
    fi = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.nan, np.inf, -np.inf, fi.max, -fi.max,
            fi.tiny, fi.smallest_subnormal, 1e-3, 100.0]


def elements(dtype):
    """Values of `dtype`: NumPy's interesting ones (NaN, inf, -0.0, extremes) and ordinary
    ones."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return st.one_of(st.sampled_from(specials(dtype)), st.integers(-100, 100),
                         st.integers(int(info.min), int(info.max)))
    width = 32 if dtype == np.float32 else 64
    return st.one_of(st.sampled_from(specials(dtype)),
                     st.floats(-10, 10, width=width),
                     st.floats(width=width, allow_nan=True, allow_infinity=True))


def arrays(dtype, shape):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype))


def shapes(min_dims=1, max_dims=2, max_side=5, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)
