"""Benchmark: windowing a long series with views versus a materialised copy.

Times :func:`sksequence.windowing.make_windows` and
``SlidingWindow.fit_transform`` on a float64 random walk (10M points, window
64 by default) against the naive approach, a fancy-indexing copy of every
window. Peak extra memory is measured with :mod:`tracemalloc` (numpy reports
its array allocations to it). Prints a markdown table of medians.

Run::

    python benchmarks/bench_windowing.py            # 10M points (needs ~11 GB)
    python benchmarks/bench_windowing.py --quick    # 100k points, seconds
"""

import argparse
import gc
import statistics
import time
import tracemalloc

import numpy as np

from sksequence.windowing import SlidingWindow, make_windows


def measure(func, rounds):
    """Median wall time (s) and median peak traced memory (bytes) of func()."""
    times, peaks = [], []
    for _ in range(rounds):
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del result
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), statistics.median(peaks)


def naive_copy(series, window):
    """Every window materialised: what the views avoid."""
    starts = np.arange(len(series) - window + 1)[:, np.newaxis]
    return series[starts + np.arange(window)]


def run(n_points, window, rounds, copy_rounds):
    series = np.random.default_rng(0).normal(size=n_points).cumsum()
    cases = {
        "make_windows": lambda: make_windows(series, window),
        "SlidingWindow.fit_transform": lambda: SlidingWindow(window).fit_transform(
            series
        ),
        "copy (fancy indexing)": lambda: naive_copy(series, window),
    }
    results = {}
    for name, func in cases.items():
        results[name] = measure(func, copy_rounds if "copy" in name else rounds)
    return results


def print_table(results, n_points, window, rounds, copy_rounds):
    copy_time, copy_peak = results["copy (fancy indexing)"]
    print(
        f"\n{n_points:,} float64 points, window {window}; medians of {rounds} "
        f"rounds ({copy_rounds} for the copy)\n"
    )
    print("| method | time | peak extra memory | time vs copy | memory vs copy |")
    print("|---|---:|---:|---:|---:|")
    for name, (seconds, peak) in results.items():
        print(
            f"| {name} | {_format_time(seconds)} | {peak / 2**20:,.1f} MiB | "
            f"{seconds / copy_time:.2g}x | {peak / copy_peak:.2g}x |"
        )


def _format_time(seconds):
    return f"{seconds * 1e3:,.2f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k points")
    parser.add_argument("--n-points", type=int, default=10_000_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--copy-rounds", type=int, default=3, help="rounds for the slow copy"
    )
    args = parser.parse_args()
    if args.quick:
        args.n_points, args.rounds, args.copy_rounds = 100_000, 5, 3
    results = run(args.n_points, args.window, args.rounds, args.copy_rounds)
    print_table(results, args.n_points, args.window, args.rounds, args.copy_rounds)


if __name__ == "__main__":
    main()
