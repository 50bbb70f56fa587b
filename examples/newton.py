"""Square roots of a million float64 values by Newton's iteration, stopping on a tolerance.

The `while` tests a traced value (the largest relative change), so it becomes a `while_loop`
op; its body is one fused elementwise kernel plus a reduction.

    python examples/newton.py
"""

import time

import numpy as np

import flowjit as fj


def newton_sqrt(a, tol):
    """sqrt(a) for positive float64 `a` by Newton's iteration x <- (x + a/x) / 2."""
    x = 0.5 * (a + 1.0)
    change = tol + 1.0
    iterations = 0
    while change > tol:
        x_new = 0.5 * (x + a / x)
        change = np.max(np.abs(x_new - x) / x_new)
        x = x_new
        iterations += 1
    return x, iterations


compiled = fj.function(newton_sqrt)


def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(1e-3, 1e4, size=n)
    tol = 1e-12
    t0 = time.perf_counter()
    root, iterations = compiled(a, tol)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled(a, tol)
    t_native = time.perf_counter() - t0
    t0 = time.perf_counter()
    eager_root, eager_iterations = newton_sqrt(a, tol)
    t_eager = time.perf_counter() - t0

    err = np.max(np.abs(root - np.sqrt(a)) / np.sqrt(a))
    print(f"sqrt of {n:,} values: {iterations} Newton iterations, max relative error vs "
          f"np.sqrt {err:.1e}")
    assert err < 1e-12, err
    assert iterations == eager_iterations
    np.testing.assert_allclose(root, eager_root, rtol=1e-15)
    print(f"  eager NumPy check passes; native {t_native * 1e3:.1f} ms vs eager "
          f"{t_eager * 1e3:.1f} ms: {t_eager / t_native:.1f}x (first call {t_first * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
