"""The README's tour: decorate a function, call it, and look at what flowjit made of it."""

import numpy as np

import flowjit as fj


@fj.function
def collatz_steps(n):
    """How many Collatz steps take `n` to 1."""
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@fj.function
def smooth(x):
    """A chain of elementwise ops, fused into one kernel, then a reduction."""
    y = np.exp(-x * x) * 2.0 + 1.0
    return y.sum()


def main() -> None:
    steps = collatz_steps(np.int64(27))
    print("collatz_steps(27) =", repr(steps))
    assert steps == 111

    print("\n# The rewritten source (AutoGraph):")
    print(fj.autograph.to_code(collatz_steps.python_function))

    cf = collatz_steps.get_concrete_function(np.int64(27))
    print("# The traced graph:")
    print(cf.graph)

    x = np.linspace(-2.0, 2.0, 1001, dtype=np.float32)
    total = smooth(x)
    eager = smooth.python_function(x)
    print(f"\nsmooth(x) = {total!r} (eager NumPy: {eager!r})")
    np.testing.assert_allclose(total, eager, rtol=1e-6)
    assert total.dtype == eager.dtype

    cf = smooth.get_concrete_function(x)
    print("# op counts before optimization:", cf.traced_graph.op_counts())
    print("# op counts after optimization: ", cf.graph.op_counts())
    print(cf.graph)
    for entry in cf.pass_log:
        print(f"  pass {entry['pass']:<20} {sum(entry['before'].values()):3d} ops -> "
              f"{sum(entry['after'].values()):3d} ops")
    print(f"\nLLVM IR: {len(cf.llvm_ir.splitlines())} lines; "
          f"assembly: {len(cf.asm.splitlines())} lines")


if __name__ == "__main__":
    main()
