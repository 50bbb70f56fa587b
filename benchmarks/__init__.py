"""flowjit's benchmark suite (issue #5).

Times flowjit against eager NumPy and, when importable, Numba, JAX and TensorFlow on a fixed
set of workloads, checks every implementation against NumPy, and reports first-call time,
steady-state medians from interleaved rounds, ratios and the issue's targets.

Run from the repository root::

    python -m benchmarks [--quick] [--threads 1] [--only gelu,softmax_rows]

This ``__init__`` deliberately imports nothing: ``--threads`` must set the thread-count
environment variables *before* NumPy (and its BLAS) is first imported, and ``python -m
benchmarks`` imports this package before ``__main__`` runs.

Modules: ``workloads`` (the registry), ``peers`` (one adapter per implementation),
``harness`` (timing), ``machine`` (thread pinning, machine facts, copy bandwidth),
``report`` (JSON and markdown), ``__main__`` (the command line).
"""
