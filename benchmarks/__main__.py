"""Command line: ``python -m benchmarks`` (from the repository root) or ``python benchmarks/run.py``.

Arguments are parsed, and ``--threads`` applied, *before* NumPy or any peer is imported: thread
pools read their size once, at import. Everything else is imported afterwards, inside ``main``.
"""

from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options (see ``--help``)."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time flowjit against eager NumPy, Numba, JAX and TensorFlow (issue #5).",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, few rounds: a smoke run")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="pin to N threads and N cores (1 for single-core numbers)")
    p.add_argument("--only", default=None, metavar="NAME[,NAME]", help="run only these workloads")
    p.add_argument("--impls", default=None, metavar="NAME[,NAME]",
                   help="implementations to run (numpy is always included): "
                        "numpy,flowjit,numba,jax,tensorflow")
    p.add_argument("--rounds", type=int, default=None,
                   help="interleaved timing rounds (default 15, quick 3)")
    p.add_argument("--min-sample-ms", type=float, default=None,
                   help="minimum duration of one timing sample (default 20, quick 1)")
    p.add_argument("--check-only", action="store_true",
                   help="only compare every implementation with NumPy; no timing, no files")
    p.add_argument("--out-dir", default=None, help="where latest.json/latest.md go "
                   "(default benchmarks/results; --quick writes latest-quick.*)")
    p.add_argument("--no-write", action="store_true", help="print the table, write no files")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; returns the exit status: 1 if any result is wrong (an unexplained
    difference from NumPy), 2 for bad arguments, else 0."""
    args = parse_args(argv)
    if args.threads is not None:
        from benchmarks.machine import pin_threads

        pin_threads(args.threads)

    # Only now may NumPy and the peers be imported.
    import datetime
    from pathlib import Path

    from benchmarks import harness, machine, peers, report, workloads

    if args.list:
        for w in workloads.WORKLOADS.values():
            print(f"{w.name:14s} {w.description}  [{workloads.size_text(w, args.quick)}]")
        return 0

    try:
        selected = workloads.select(args.only)
        impls = peers.make_impls(args.impls)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for impl in impls:
        state = f"version {impl.version}" if impl.unavailable_reason is None else \
            f"unavailable: {impl.unavailable_reason}"
        print(f"[bench] {impl.name}: {state}", file=sys.stderr, flush=True)

    if args.check_only:
        bad = 0
        for w in selected:
            for name, outcome in harness.check_workload(w, impls, quick=args.quick).items():
                if isinstance(outcome, str):
                    text = outcome
                else:
                    text = outcome.detail
                    if outcome.known_deviation:
                        text += f" (known: {outcome.known_deviation})"
                    bad += not outcome.ok and not outcome.known_deviation
                print(f"{w.name:14s} {name:11s} {text}")
        return 1 if bad else 0

    rounds = args.rounds or (3 if args.quick else 15)
    if rounds < 1:
        print("error: --rounds must be >= 1", file=sys.stderr)
        return 2
    min_sample_ns = int((args.min_sample_ms or (1.0 if args.quick else 20.0)) * 1e6)
    warmup_ns = int((5 if args.quick else 100) * 1e6)

    # One-time library initialization, kept out of every workload's first-call time.
    init_ms = {}
    for impl in impls:
        ms = impl.warm_up()
        if ms is not None:
            init_ms[impl.name] = ms
            print(f"[bench] {impl.name}: one-time warm-up {ms:.1f} ms", file=sys.stderr, flush=True)

    machine_facts = machine.machine_info(args.threads)  # load average before we add to it
    print("[bench] measuring copy bandwidth", file=sys.stderr, flush=True)
    bandwidth = machine.copy_bandwidth(nbytes=256 * 2**20)

    results = []
    for w in selected:
        print(f"[bench] {w.name} ({workloads.size_text(w, args.quick)})", file=sys.stderr, flush=True)
        results.append(harness.run_workload(
            w, impls, quick=args.quick, rounds=rounds, min_sample_ns=min_sample_ns,
            warmup_ns=warmup_ns, copy_gb_per_s=bandwidth["gb_per_s"],
        ))

    fj = next((i for i in impls if i.name == "flowjit"), None)
    run = {
        "header": {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "quick": args.quick,
            "rounds": rounds,
            "min_sample_ms": min_sample_ns / 1e6,
            "machine": machine_facts,
            "versions": machine.versions(fj.version if fj is not None else None),
            "copy_bandwidth": bandwidth,
            "warm_up_ms": init_ms,
            "flowjit_unavailable": fj.unavailable_reason if fj is not None else "not selected",
            "unavailable": {i.name: i.unavailable_reason for i in impls if i.unavailable_reason},
            "command": " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]),
        },
        "workloads": results,
    }
    print(report.to_markdown(run))
    if not args.no_write:
        out_dir = Path(args.out_dir) if args.out_dir else report.RESULTS_DIR
        # A quick run must not overwrite the full results the README quotes.
        json_path, md_path = report.write(run, out_dir, "latest-quick" if args.quick else "latest")
        print(f"[bench] wrote {json_path} and {md_path}", file=sys.stderr)
    wrong = [f"{wl.name}/{r.impl}" for wl in results for r in wl.results.values()
             if r.available and r.check is not None and not r.check.ok
             and not r.check.known_deviation]
    if wrong:
        print(f"[bench] results differing from NumPy: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
