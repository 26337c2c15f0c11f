"""XGBoost side of bench/explain.ts: trains 100 trees of depth 6 on the rows it is given, then
times pred_contribs (exact path-dependent TreeSHAP) one row at a time.

Usage: xgboost_contribs_peer.py <train.f64> <test.f64> <features> <threads> <rows to time>
Both files are row-major float64, the last column of the training file the 0/1 label. Prints
one JSON object: p50/p99 of predict(pred_contribs=True) on a prebuilt one-row DMatrix, the same
with the DMatrix built inside the timing, and the trees' leaf count.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

train_path, test_path, features, threads, timed_rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
train = np.fromfile(train_path, dtype=np.float64).reshape(-1, features + 1)
test = np.fromfile(test_path, dtype=np.float64).reshape(-1, features)
params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": threads}
booster = xgb.train(params, xgb.DMatrix(train[:, :-1], label=train[:, -1], nthread=threads), 100)
leaves = sum(tree.count('"leaf"') for tree in booster.get_dump(dump_format="json"))

matrices = [xgb.DMatrix(test[r : r + 1], nthread=threads) for r in range(timed_rows)]
for matrix in matrices[:200]:
    booster.predict(matrix, pred_contribs=True)
predict_only = []
for matrix in matrices:
    started = time.perf_counter()
    booster.predict(matrix, pred_contribs=True)
    predict_only.append(time.perf_counter() - started)
with_matrix = []
for r in range(timed_rows):
    started = time.perf_counter()
    booster.predict(xgb.DMatrix(test[r : r + 1], nthread=threads), pred_contribs=True)
    with_matrix.append(time.perf_counter() - started)


def percentile_ms(samples, q):
    return float(np.percentile(np.asarray(samples) * 1000.0, q))


print(
    json.dumps(
        {
            "xgboost": xgb.__version__,
            "threads": threads,
            "trees": 100,
            "leaves": leaves,
            "p50Ms": percentile_ms(predict_only, 50),
            "p99Ms": percentile_ms(predict_only, 99),
            "withDMatrixP50Ms": percentile_ms(with_matrix, 50),
            "withDMatrixP99Ms": percentile_ms(with_matrix, 99),
        }
    )
)
