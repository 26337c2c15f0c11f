#!/usr/bin/python3
"""scipy peer of bench/drift.ts: the same default drift tests on the same data.

Usage: /usr/bin/python3 bench/peers/scipy_drift.py <dir>
<dir>/manifest.json lists columns; numeric ones are float64 files (<name>.ref.f64, <name>.cur.f64),
categorical ones int32 category codes (<name>.ref.i32, <name>.cur.i32). Prints one JSON object:
seconds spent computing (loading excluded) and the score per column.
"""
import json
import os
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance


def main(folder):
    with open(os.path.join(folder, 'manifest.json')) as f:
        manifest = json.load(f)
    data = {}
    for column in manifest['columns']:
        kind = column['kind']
        dtype = np.float64 if kind == 'numeric' else np.int32
        ext = 'f64' if kind == 'numeric' else 'i32'
        data[column['name']] = (
            np.fromfile(os.path.join(folder, f"{column['name']}.ref.{ext}"), dtype=dtype),
            np.fromfile(os.path.join(folder, f"{column['name']}.cur.{ext}"), dtype=dtype),
        )
    scores = {}
    start = time.perf_counter()
    for column in manifest['columns']:
        ref, cur = data[column['name']]
        if column['kind'] == 'numeric':
            # Evidently's wasserstein_distance_norm
            scores[column['name']] = float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
        else:
            # Evidently's jensenshannon on value shares over the union of categories
            k = int(max(ref.max(), cur.max())) + 1
            p = np.bincount(ref, minlength=k) / len(ref)
            q = np.bincount(cur, minlength=k) / len(cur)
            scores[column['name']] = float(distance.jensenshannon(p, q))
    seconds = time.perf_counter() - start
    ks_start = time.perf_counter()
    first_numeric = next(c['name'] for c in manifest['columns'] if c['kind'] == 'numeric')
    ks = stats.ks_2samp(*data[first_numeric])
    ks_seconds = time.perf_counter() - ks_start
    print(json.dumps({'seconds': seconds, 'scores': scores, 'ksSeconds': ks_seconds,
                      'ks': {'column': first_numeric, 'statistic': float(ks.statistic), 'pValue': float(ks.pvalue)}}))


if __name__ == '__main__':
    main(sys.argv[1])
