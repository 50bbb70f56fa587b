"""The longest Collatz chain for starting values below 1,000,000, as native code.

A `for` over a traced `range` holding a `while` and an `if`: flowjit turns all three into graph
ops (`while_loop`, `while_loop`, `cond`) and compiles them to one native loop nest.

    python examples/collatz.py [limit]
"""

import sys
import time

import numpy as np

import flowjit as fj


def collatz_longest(limit):
    """(start, steps) of the longest Collatz chain among starts 1 .. limit-1."""
    best_start = 1
    best_steps = 0
    for start in range(1, limit):
        n = start
        steps = 0
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
        if steps > best_steps:
            best_steps = steps
            best_start = start
    return best_start, best_steps


compiled = fj.function(collatz_longest)


def main(limit: int = 1_000_000) -> None:
    t0 = time.perf_counter()
    start, steps = compiled(np.int64(limit))
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled(np.int64(limit))
    t_native = time.perf_counter() - t0
    print(f"longest Collatz chain below {limit:,}: start {start}, {steps} steps")
    print(f"  native: {t_native:.3f} s (first call with trace + compile: {t_first:.3f} s)")

    # Eager check on a smaller range: plain Python is far slower.
    small = min(limit, 30_000)
    t0 = time.perf_counter()
    expected = collatz_longest(small)
    t_eager = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = compiled(np.int64(small))
    t_small = time.perf_counter() - t0
    assert tuple(int(v) for v in got) == expected, (got, expected)
    print(f"  eager check below {small:,}: {expected} matches; "
          f"speed-up over eager Python: {t_eager / t_small:.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
