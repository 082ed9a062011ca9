#!/usr/bin/python3
"""Times in statsmodels (Debian python3-statsmodels 0.13.5) the work bench/models/models_bench.cpp
times in C++, on the same series (23,040 points, season 5,760; a sine plus a slow random walk
and noise, from the same splitmix64 generator), and prints CPU seconds of the process
(time.process_time, comparable with Google Benchmark's CPU column on a busy machine), best of
`--repeat` runs, with the SSE reached.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/models/statsmodels_timing.py [--repeat 3]

  forecast_heuristic  ExponentialSmoothing(heuristic init).fit(optimized=False, fixed params)
                      + forecast(1 season)
  forecast_known      the same with known initial states
  fit_heuristic       fit alpha, beta, gamma with the heuristic initial states held fixed
                      (statsmodels 0.13.5 re-estimates initial states in every fit(); they are held
                      here by fix_params for the seasonals and 1e-9-wide bounds for level/trend)
  fit_estimated/m     the default fit() (all parameters and the m + 2 initial states, SLSQP) on
                      4 seasons of m points; cases slower than --timeout are reported as such
"""
import argparse
import math
import multiprocessing as mp
import time
import sys
import warnings

try:
    import numpy as np
    import statsmodels  # noqa: F401  (imported for the check; the cases import what they use)
except ImportError as missing:
    sys.exit(
        f"statsmodels_timing.py needs Debian's python3-statsmodels (and python3-numpy): {missing}.\n"
        "Install them with `sudo apt-get install python3-statsmodels` or "
        "`scripts/install-deps.sh --reference`, then run\n"
        "    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/models/statsmodels_timing.py")

warnings.simplefilter("ignore")

N, M = 23040, 5760


def series(n, m):
    """Same series as models_bench.cpp (splitmix64 uniform noise with unit variance)."""
    mask = (1 << 64) - 1
    state = 42

    def noise():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        return ((z >> 11) * 2.0 ** -53 - 0.5) * math.sqrt(12.0)

    y = np.empty(n)
    walk = 0.0
    for t in range(n):
        walk += 0.05 * noise()
        y[t] = 100.0 + walk + 20.0 * math.sin(2 * math.pi * t / m) + 2.0 * noise()
    return y


def forecast_heuristic():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    y = series(N, M)
    start = time.process_time()
    mod = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=M,
                               initialization_method="heuristic")
    res = mod.fit(optimized=False, smoothing_level=0.5, smoothing_trend=0.1,
                  smoothing_seasonal=0.2)
    res.forecast(M)
    return time.process_time() - start, res.sse


def forecast_known():
    from statsmodels.tsa.exponential_smoothing.initialization import _initialization_heuristic
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    y = series(N, M)
    l0, b0, s0 = _initialization_heuristic(y, "add", "add", M)
    start = time.process_time()
    mod = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=M,
                               initialization_method="known", initial_level=l0,
                               initial_trend=b0, initial_seasonal=s0)
    res = mod.fit(optimized=False, smoothing_level=0.5, smoothing_trend=0.1,
                  smoothing_seasonal=0.2)
    res.forecast(M)
    return time.process_time() - start, res.sse


def fit_heuristic():
    from statsmodels.tsa.exponential_smoothing.initialization import _initialization_heuristic
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    y = series(N, M)
    start = time.process_time()
    l0, b0, s0 = _initialization_heuristic(y, "add", "add", M)
    bounds = {"initial_level": (l0 - 1e-9 * abs(l0), l0 + 1e-9 * abs(l0)),
              "initial_trend": (b0 - 1e-9 * max(abs(b0), 1e-3), b0 + 1e-9 * max(abs(b0), 1e-3))}
    mod = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=M,
                               initialization_method="known", initial_level=l0,
                               initial_trend=b0, initial_seasonal=s0, bounds=bounds)
    with mod.fix_params({f"initial_seasonal.{i}": float(s0[i]) for i in range(M)}):
        res = mod.fit()
    return time.process_time() - start, res.sse


def fit_estimated(m):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    y = series(4 * m, m)
    start = time.process_time()
    mod = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=m,
                               initialization_method="estimated")
    res = mod.fit()
    return time.process_time() - start, res.sse


def _run(queue, name, arg):
    fn = globals()[name]
    queue.put(fn(arg) if arg is not None else fn())


def timed(name, arg, timeout):
    queue = mp.Queue()
    proc = mp.Process(target=_run, args=(queue, name, arg))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return queue.get()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--seasons", default="96,192,384,720,1440")
    args = parser.parse_args()
    cases = [("forecast_heuristic", None), ("forecast_known", None), ("fit_heuristic", None)]
    cases += [("fit_estimated", int(m)) for m in args.seasons.split(",") if m]
    print(f"{'case':<24} {'cpu seconds':>12} {'sse':>16}")
    for name, arg in cases:
        best, sse = None, None
        repeat = args.repeat if name.startswith("forecast") else 1
        for _ in range(repeat):
            seconds, value = timed(name, arg, args.timeout)
            if seconds is None:
                best = None
                break
            best = seconds if best is None else min(best, seconds)
            sse = value
        label = name + (f"/{arg}" if arg is not None else "")
        if best is None:
            print(f"{label:<24} {'>' + str(args.timeout):>12} {'-':>16}", flush=True)
        else:
            print(f"{label:<24} {best:12.4f} {sse:16.6f}", flush=True)


if __name__ == "__main__":
    main()
