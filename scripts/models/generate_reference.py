#!/usr/bin/python3
"""Writes the reference cases of the models/ tests to tests/data/models/*.json.

Run with Debian's python3 (python3-statsmodels 0.13.5, numpy):
    /usr/bin/python3 scripts/models/generate_reference.py

Each case is one JSON file; tests/models/reference_test.cpp runs them all (no Python needed).
Kinds:
  holt_winters  fixed parameters, `known` or `heuristic` initial states; expected initial states,
                fitted values, SSE and forecasts from statsmodels' ExponentialSmoothing.
  fit           statsmodels' optimized SSE (heuristic or estimated initial states); the test
                requires ours to be no worse than it by more than 0.1%.
  linear        numpy.polyfit(deg=1) evaluated with numpy.polyval at a future time.

Two known faults of statsmodels 0.13.5 are NOT copied (the expected values there come from the
textbook recursion implemented below, which is checked against statsmodels everywhere else):
  * at horizons that are exact multiples of the season length, its forecast uses the seasonal of
    one season too early (statsmodels issue #9538);
  * with a damped multiplicative trend, its forecast restarts from a re-expressed initial trend
    (params["initial_trend"] = b0**phi / phi), so every forecast is off.
"""
import json
from fractions import Fraction
import math
import os
import sys
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.exponential_smoothing.initialization import _initialization_heuristic
from statsmodels.tsa.holtwinters import ExponentialSmoothing

warnings.simplefilter("ignore")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data",
                   "models")


def series(n, m, seed, level=100.0, slope=0.2, amp=15.0, noise=2.0, mul=False, walk=0.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = level + np.cumsum(rng.normal(0, walk, n))
    season = np.sin(2 * np.pi * t / max(m, 1)) + 0.5 * np.cos(4 * np.pi * t / max(m, 1))
    trend = level + slope * t
    if mul:
        y = trend * (1.0 + 0.15 * season) * (1.0 + rng.normal(0, noise / 100.0, n))
    else:
        y = trend + amp * season + rng.normal(0, noise, n)
    return y


def textbook(y, trend, damped, seasonal, m, a, b, g, phi, l0, b0, s0, h):
    """The Holt-Winters recursion and forecast of models/holt_winters.h, in plain Python."""
    phi = phi if damped else 1.0
    l, bb = l0, (b0 if trend else 0.0)
    s = list(s0) if seasonal else []
    fitted = []
    for t, yt in enumerate(y):
        if trend == "add":
            d = phi * bb
            base = l + d
        elif trend == "mul":
            d = bb ** phi
            base = l * d
        else:
            d, base = 0.0, l
        st = s[t] if seasonal else 0.0
        if seasonal == "add":
            yhat, u = base + st, yt - st
        elif seasonal == "mul":
            yhat, u = base * st, yt / st
        else:
            yhat, u = base, yt
        fitted.append(yhat)
        ln = a * u + (1 - a) * base
        if trend == "add":
            bb = b * (ln - l) + (1 - b) * d
        elif trend == "mul":
            bb = b * (ln / l) + (1 - b) * d
        if seasonal == "add":
            s.append(g * (yt - base) + (1 - g) * st)
        elif seasonal == "mul":
            s.append(g * (yt / base) + (1 - g) * st)
        l = ln
    n = len(y)
    fc = []
    phi_h = 0.0
    for k in range(1, h + 1):
        phi_h += phi ** k
        if trend == "add":
            v = l + phi_h * bb
        elif trend == "mul":
            v = l * bb ** phi_h
        else:
            v = l
        if seasonal:
            sv = s[n + (k - 1) % m]
            v = v + sv if seasonal == "add" else v * sv
        fc.append(v)
    fitted = np.array(fitted)
    return fitted, float(np.sum((y - fitted) ** 2)), np.array(fc)


def write(name, case):
    case["generator"] = "scripts/models/generate_reference.py"
    case["statsmodels"] = statsmodels.__version__
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")


def hw_case(name, y, trend, damped, seasonal, m, params, init, h, known=None):
    a, b, g, phi = params
    kwargs = {}
    if init == "known":
        kwargs = dict(initial_level=known[0])
        if trend:
            kwargs["initial_trend"] = known[1]
        if seasonal:
            kwargs["initial_seasonal"] = known[2]
    mod = ExponentialSmoothing(y, trend=trend, damped_trend=damped, seasonal=seasonal,
                               seasonal_periods=m if seasonal else None,
                               initialization_method=init, **kwargs)
    fit_kw = dict(smoothing_level=a)
    if trend:
        fit_kw["smoothing_trend"] = b
    if seasonal:
        fit_kw["smoothing_seasonal"] = g
    if damped:
        fit_kw["damping_trend"] = phi
    res = mod.fit(optimized=False, **fit_kw)
    l0 = float(mod._initial_level)
    b0 = float(mod._initial_trend) if trend else 0.0
    s0 = [float(v) for v in mod._initial_seasonal] if seasonal else []
    fitted, sse, fc = textbook(y, trend, damped, seasonal, m, a, b, g, phi, l0, b0, s0, h)
    sm_fc = np.asarray(res.forecast(h))
    # The textbook recursion must agree with statsmodels wherever statsmodels is right.
    assert np.allclose(fitted, res.fittedvalues, rtol=1e-11, atol=0), name
    assert abs(sse - res.sse) <= 1e-9 * max(1.0, sse), name
    notes = []
    if trend == "mul" and damped:
        notes.append("damped multiplicative trend: statsmodels 0.13.5 forecasts from a "
                     "re-expressed initial trend; expected forecasts are the textbook recursion")
        differs = np.where(np.abs(sm_fc - fc) > 1e-9 * np.abs(fc))[0]
    else:
        differs = np.where(np.abs(sm_fc - fc) > 1e-9 * np.abs(fc))[0]
        bad = [int(k) + 1 for k in differs]
        if seasonal:
            assert all(k % m == 0 for k in bad), (name, bad)
            if bad:
                notes.append("statsmodels 0.13.5 issue #9538: at h = " +
                             ", ".join(map(str, bad)) +
                             " (multiples of the season length) the expected value is the "
                             "textbook recursion, not statsmodels'")
        else:
            assert not bad, (name, bad)
    write(name, {
        "kind": "holt_winters",
        "trend": trend or "none", "damped": damped, "seasonal": seasonal or "none",
        "season_length": m if seasonal else 0,
        "alpha": a, "beta": b, "gamma": g, "phi": phi,
        "initialization": init,
        "initial_level": l0, "initial_trend": b0, "initial_seasonal": s0,
        "horizon": h,
        "y": [float(v) for v in y],
        "expected_fitted": [float(v) for v in fitted],
        "expected_sse": float(res.sse),
        "expected_forecast": [float(v) for v in fc],
        "statsmodels_forecast": [float(v) for v in sm_fc],
        "notes": notes,
    })


def fit_case(name, y, trend, damped, seasonal, m, init):
    """statsmodels 0.13.5's fit() always re-estimates the initial states (whatever the
    initialization method, they are only its start), so:
      init == "estimated": its default fit, compared with our `estimated` fit;
      init == "heuristic": the heuristic states held fixed (seasonals through fix_params, level
        and trend pinned by 1e-9-wide bounds), only the smoothing parameters optimized,
        compared with our `heuristic` fit."""
    kw = dict(trend=trend, damped_trend=damped, seasonal=seasonal,
              seasonal_periods=m if seasonal else None)
    if init == "estimated":
        mod = ExponentialSmoothing(y, initialization_method="estimated", **kw)
        res = mod.fit()
    else:
        l0, b0, s0 = _initialization_heuristic(y, trend or False, seasonal or False, m)
        bounds = {"initial_level": (l0 - 1e-9 * abs(l0), l0 + 1e-9 * abs(l0))}
        if trend:
            bounds["initial_trend"] = (b0 - 1e-9 * max(abs(b0), 1e-3),
                                       b0 + 1e-9 * max(abs(b0), 1e-3))
        known = dict(initial_level=l0)
        if trend:
            known["initial_trend"] = b0
        if seasonal:
            known["initial_seasonal"] = s0
        mod = ExponentialSmoothing(y, initialization_method="known", bounds=bounds, **known,
                                   **kw)
        fixed = {f"initial_seasonal.{i}": float(s0[i]) for i in range(m)} if seasonal else {}
        if fixed:
            with mod.fix_params(fixed):
                res = mod.fit()
        else:
            res = mod.fit()
    p = res.params
    write(name, {
        "kind": "fit",
        "trend": trend or "none", "damped": damped, "seasonal": seasonal or "none",
        "season_length": m if seasonal else 0,
        "initialization": init,
        "y": [float(v) for v in y],
        "statsmodels_sse": float(res.sse),
        "statsmodels_params": {
            "alpha": float(p["smoothing_level"]),
            "beta": float(p["smoothing_trend"]) if trend else None,
            "gamma": float(p["smoothing_seasonal"]) if seasonal else None,
            "phi": float(p["damping_trend"]) if damped else None,
        },
        "tolerance": 0.001,
    })


def linear_case(name, t, v, at, history):
    """numpy.polyfit(deg=1) + polyval is the reference for the prediction. For the slope the
    exact least-squares value (rational arithmetic) is recorded too: with epoch-second
    timestamps numpy's Vandermonde solve loses ~8 digits of the slope (the prediction keeps
    them), and ours (centred sums) keeps them."""
    tt, vv = np.asarray(t[-history:]), np.asarray(v[-history:])
    p = np.polyfit(tt, vv, 1)
    ft = [Fraction(float(x)) for x in tt]
    fv = [Fraction(float(x)) for x in vv]
    tm = sum(ft) / len(ft)
    vm = sum(fv) / len(fv)
    sxx = sum((x - tm) ** 2 for x in ft)
    slope = sum((x - tm) * (y - vm) for x, y in zip(ft, fv)) / sxx if sxx else Fraction(0)
    exact = vm + slope * (Fraction(float(at)) - tm)
    assert abs(float(exact) - np.polyval(p, at)) <= 1e-9 * abs(float(exact)), name
    write(name, {
        "kind": "linear",
        "times": [float(x) for x in t], "values": [float(x) for x in v],
        "history_size": history, "at": float(at),
        "expected": float(np.polyval(p, at)),
        "numpy_slope": float(p[0]),
        "expected_slope": float(slope),
    })


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".json"):
            os.remove(os.path.join(OUT, f))
    params = (0.35, 0.08, 0.25, 0.92)
    # --- fixed parameters, known initial states (the full seasonal vector) -----------------
    combos = [
        (None, False, None), ("add", False, None), ("add", True, None), ("mul", False, None),
        ("mul", True, None), (None, False, "add"), ("add", False, "add"), ("add", True, "add"),
        ("add", False, "mul"), ("add", True, "mul"), ("mul", False, "mul"), ("mul", True, "mul"),
        (None, False, "mul"), ("mul", True, "add"),
    ]
    for i, (trend, damped, seasonal) in enumerate(combos):
        m = 12 if seasonal else 0
        mul = seasonal == "mul" or trend == "mul"
        y = series(60, m or 12, 100 + i, mul=mul)
        tag = f"{trend or 'none'}{'_damped' if damped else ''}_{seasonal or 'none'}"
        rng = np.random.default_rng(7 + i)
        if seasonal == "mul":
            s0 = list(1.0 + 0.1 * rng.normal(size=m))
        elif seasonal == "add":
            s0 = list(10.0 * rng.normal(size=m))
        else:
            s0 = []
        b0 = 1.002 if trend == "mul" else 0.3
        hw_case(f"hw_known_{tag}", y, trend, damped, seasonal, m, params, "known",
                2 * m + 5 if seasonal else 7, known=(95.0, b0, s0))
    # --- fixed parameters, heuristic initial states (odd and even season lengths) ----------
    for i, (trend, damped, seasonal, m, n) in enumerate([
        ("add", False, "add", 12, 60), ("add", True, "add", 7, 49), (None, False, "add", 24, 96),
        ("add", False, "mul", 12, 72), ("mul", False, "mul", 5, 40), ("add", False, None, 0, 30),
        (None, False, None, 0, 20), ("add", True, "mul", 4, 14), ("add", False, "add", 2, 30),
        ("mul", True, "add", 9, 45), ("add", False, "add", 96, 384),
    ]):
        mul = seasonal == "mul" or trend == "mul"
        y = series(n, m or 10, 300 + i, mul=mul)
        tag = f"{trend or 'none'}{'_damped' if damped else ''}_{seasonal or 'none'}_m{m}"
        hw_case(f"hw_heuristic_{tag}", y, trend, damped, seasonal, m, params, "heuristic",
                2 * m + 1 if seasonal else 5)
    # --- optimized parameters: statsmodels' SSE is the bar ---------------------------------
    for i, (trend, damped, seasonal, m, n) in enumerate([
        ("add", False, "add", 12, 72), ("add", True, "add", 12, 96), (None, False, "add", 24, 120),
        ("add", False, "mul", 12, 96), ("add", False, None, 0, 60), ("add", True, "mul", 12, 96),
        ("mul", False, "mul", 7, 70), ("add", False, "add", 96, 384),
    ]):
        mul = seasonal == "mul" or trend == "mul"
        y = series(n, m or 10, 500 + i, mul=mul, noise=2.0, walk=1.0)
        for init in ("heuristic", "estimated"):
            if init == "estimated" and m > 24:
                continue  # statsmodels' SLSQP over m + 5 parameters: minutes
            tag = f"{trend or 'none'}{'_damped' if damped else ''}_{seasonal or 'none'}_m{m}_{init}"
            fit_case(f"fit_{tag}", y, trend, damped, seasonal, m, init)
    # --- linear regression ------------------------------------------------------------------
    rng = np.random.default_rng(900)
    t0 = 1_764_000_000.0
    t = t0 + 15.0 * np.arange(40) + rng.uniform(-0.5, 0.5, 40)
    v = 50.0 + 0.05 * (t - t0) + rng.normal(0, 3.0, 40)
    linear_case("linear_epoch_seconds", t, v, t[-1] + 120.0, 10)
    linear_case("linear_all_points", t, v, t[-1] + 600.0, 40)
    t2 = np.arange(8, dtype=float) * 2.5
    v2 = np.array([3.0, 3.5, 2.0, 8.0, 9.5, 9.0, 12.0, 11.0])
    linear_case("linear_small", t2, v2, 30.0, 8)
    linear_case("linear_two_points", t2, v2, 25.0, 2)
    print(f"wrote cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
