"""Every binary ufunc called on two Python scalars (weak values traced from arguments) gives
eager NumPy's result: value, dtype and exception type. NumPy resolves some of these pairs
specially (two Python ints compare through an object loop), so each pair is checked."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.ir.ops.elementwise import UFUNCS
from fjtest.differential import assert_same_value


BINARY = sorted(name for name, (uf, _) in UFUNCS.items() if uf.nin == 2)
PAIRS = [(-2, 0), (7, -3), (0, 0), (-7, 2), (2.5, -1), (-0.0, 3), (True, 2), (False, True),
         (3, 2.5), (2**40, -5)]


@pytest.mark.parametrize("name", BINARY)
def test_binary_ufunc_on_two_python_scalars(name):
    ufunc = UFUNCS[name][0]

    def f(a, b):
        return ufunc(a, b)

    compiled = fj.function(f)
    with np.errstate(all="ignore"):
        for a, b in PAIRS:
            try:
                expected = f(a, b)
            except (TypeError, ValueError) as e:
                with pytest.raises(type(e)):
                    compiled(a, b)
                continue
            if np.asarray(expected).dtype not in (np.bool_, np.int64, np.float64, np.int32,
                                                  np.float32):
                with pytest.raises(NotImplementedError):
                    compiled(a, b)
                continue
            assert_same_value(compiled(a, b), expected, f"{name}({a!r}, {b!r})")
