"""The pandas column of the kpi-core benchmark (run by bench/run.ts with /usr/bin/python3).

Timed in two parts: `load` (the Series with its DatetimeIndex, pandas' analogue of
PointColumnsBuilder) and the aggregates.

Reads the shared little-endian float64 file (all timestamps in epoch ms, then all values), and
computes per hourly window in [from, to) what kpi-core computes: min/max/count with resample,
and twa/integral with a vectorised trapezoid under the same rules (linear segments no longer
than max_gap are covered, split at the window edges, never extrapolated). Writes the results
(twa, integral, min, max, count; NaN for no value) as float64 to `out` and prints timings as JSON.

usage: pandas_bench.py DATA COUNT FROM TO WINDOW_MS MAX_GAP_MS OUT REPEATS
"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd


def load(t, v):
    return pd.Series(v, index=pd.to_datetime(t.astype(np.int64), unit="ms"))


def aggregates(series, t, v, start, end, window_ms, max_gap_ms):
    windows = int((end - start) // window_ms)
    origin = pd.Timestamp(int(start), unit="ms")
    inside = series[(series.index >= origin) & (series.index < pd.Timestamp(int(end), unit="ms"))]
    resampled = inside.resample(f"{int(window_ms)}ms", origin=origin)
    full = pd.date_range(origin, periods=windows, freq=f"{int(window_ms)}ms")
    mins = resampled.min().reindex(full).to_numpy()
    maxs = resampled.max().reindex(full).to_numpy()
    counts = resampled.count().reindex(full, fill_value=0).to_numpy().astype(np.float64)

    # Trapezoid: insert the window edges into the points (values interpolated on the segment
    # they cut), so every segment lies in one window; a piece inherits its segment's coverage.
    edges = start + window_ms * np.arange(windows + 1, dtype=np.float64)
    covered = np.empty(len(t), dtype=bool)
    covered[:-1] = np.diff(t) <= max_gap_ms
    covered[-1] = False
    at = np.searchsorted(t, edges, side="left")
    edge_values = np.interp(edges, t, v)
    edge_covered = np.where(at > 0, covered[np.maximum(at - 1, 0)], False)
    mt = np.insert(t, at, edges)
    mv = np.insert(v, at, edge_values)
    mc = np.insert(covered, at, edge_covered)
    dt = np.diff(mt)
    piece = mc[:-1]
    area = np.where(piece, dt * (mv[:-1] + mv[1:]) * 0.5, 0.0)
    span = np.where(piece, dt, 0.0)
    w = np.floor((mt[:-1] - start) / window_ms).astype(np.int64)
    keep = (w >= 0) & (w < windows)
    area_w = np.bincount(w[keep], weights=area[keep], minlength=windows)
    covered_w = np.bincount(w[keep], weights=span[keep], minlength=windows)
    with np.errstate(invalid="ignore", divide="ignore"):
        twa = np.where(covered_w > 0, area_w / covered_w, np.nan)
    # Like twa, the integral has no value (NaN) when nothing in the window is covered.
    integral = np.where(covered_w > 0, area_w / 3_600_000.0, np.nan)
    return np.stack([twa, integral, mins, maxs, counts])


def main():
    data, count, start, end, window_ms, max_gap_ms, out, repeats = sys.argv[1:9]
    count = int(count)
    raw = np.fromfile(data, dtype="<f8", count=2 * count)
    t, v = raw[:count], raw[count:]
    start, end, window_ms, max_gap_ms = float(start), float(end), float(window_ms), float(max_gap_ms)
    best = None
    result = None
    for _ in range(int(repeats)):
        began = time.perf_counter()
        series = load(t, v)
        loaded = time.perf_counter()
        result = aggregates(series, t, v, start, end, window_ms, max_gap_ms)
        done = time.perf_counter()
        if best is None or done - began < best[0]:
            best = (done - began, loaded - began, done - loaded)
    result.astype("<f8").tofile(out)
    print(
        json.dumps(
            {
                "seconds": best[0],
                "loadSeconds": best[1],
                "computeSeconds": best[2],
                "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "pandas": pd.__version__,
                "numpy": np.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
