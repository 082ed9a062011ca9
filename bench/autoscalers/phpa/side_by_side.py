#!/usr/bin/python3
"""The original PHPA's per-run Holt-Winters cost beside ours, in one run.

The original ran, per model per run, a new Python process that fitted statsmodels'
ExponentialSmoothing with the configured alpha/beta/gamma (its examples: 0.9/0.9/0.9, additive
trend and season, `estimated` initial states) on its stored history and forecast one run ahead.
This script times in statsmodels (Debian python3-statsmodels 0.13.5) that fit + forecast on 4
seasons of m points (CPU seconds of the process, best of --repeat), the start of such a process
(interpreter + `import statsmodels.tsa.holtwinters`, wall clock), and runs
`phpa_bench --benchmark_filter=PhpaRunOriginalSettings` (the same work in our evaluator, CPU time)
on a series of the same shape (a daily sine, rounded, with uniform noise).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/autoscalers/phpa/side_by_side.py \
        --bench build/bench/autoscalers/phpa/phpa_bench
"""
import argparse
import json
import math
import subprocess
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")


def series(n, m):
    mask = (1 << 64) - 1
    state = 42

    def noise():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        return (z >> 11) * 2.0 ** -53 - 0.5

    return np.array([round(10.0 + 6.0 * math.sin(2 * math.pi * (t % m) / m) + noise())
                     for t in range(n)], dtype=float)


def statsmodels_run(m):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    warnings.simplefilter("ignore")  # ConvergenceWarning: the original ignored it too
    y = series(4 * m, m)
    start = time.process_time()
    model = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=m,
                                 initialization_method="estimated")
    fitted = model.fit(smoothing_level=0.9, smoothing_trend=0.9, smoothing_seasonal=0.9)
    fitted.forecast(1)
    return time.process_time() - start


def process_start():
    start = time.perf_counter()
    subprocess.run(["/usr/bin/python3", "-c", "import statsmodels.tsa.holtwinters"], check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default="build/bench/autoscalers/phpa/phpa_bench")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seasons", default="96,192,384")
    args = parser.parse_args()
    seasons = [int(s) for s in args.seasons.split(",")]
    ours = {}
    out = subprocess.run([args.bench, "--benchmark_filter=PhpaRunOriginalSettings",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True)
    for b in json.loads(out.stdout)["benchmarks"]:
        m = int(b["name"].split("/")[1])
        ours[m] = b["cpu_time"] * {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
    start = min(process_start() for _ in range(args.repeat))
    print(f"python3 + import statsmodels (per run and model in the original): {start * 1e3:.0f} ms")
    print(f"{'season':>7} {'points':>7} {'statsmodels fit+forecast':>25} {'ours (cpa)':>12} {'ratio':>8}")
    for m in seasons:
        sm = min(statsmodels_run(m) for _ in range(args.repeat))
        mine = ours.get(m)
        ratio = f"{sm / mine:.0f}x" if mine else "-"
        mine_text = f"{mine * 1e3:.2f} ms" if mine else "-"
        print(f"{m:>7} {4 * m:>7} {sm * 1e3:>22.1f} ms {mine_text:>12} {ratio:>8}")


if __name__ == "__main__":
    main()
