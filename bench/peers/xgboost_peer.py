"""XGBoost side of bench/learners.ts: loads the CSVs it is given once, then trains on request.

Installs nothing (bench/learners.ts ensures python3-xgboost). Run with /usr/bin/python3.
Prints {"ready": true} once the data is loaded, then answers each JSON line on stdin,
{"rounds": 100, "earlyStopping": 0, "measure": true}, with one JSON line on stdout, so the caller
can alternate its own training runs with ours in one process each. Timing covers training only,
not CSV loading. When "measure" is set, scoring latency is measured and test-set probabilities
are written as float64 to --predictions, so the TypeScript side scores both learners with the same
AUC code.
"""
import argparse
import json
import sys
import time

import numpy as np
import xgboost as xgb


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return np.ascontiguousarray(data[:, :-1]), data[:, -1]


def percentile_ms(samples, q):
    return float(np.percentile(np.asarray(samples) * 1000.0, q))


def train_once(args, data, rounds, early_stopping, measure):
    x_train, y_train, x_valid, y_valid, x_test = data
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": args.max_depth,
        "eta": args.eta,
        "lambda": 1.0,
        "min_child_weight": 1.0,
        "max_bin": 256,
        "nthread": args.threads,
        "base_score": float(y_train.mean()),  # ours starts from the positive rate too
        "eval_metric": "logloss",
    }
    started = time.perf_counter()
    dtrain = xgb.DMatrix(x_train, label=y_train, nthread=args.threads)
    if early_stopping > 0:
        dvalid = xgb.DMatrix(x_valid, label=y_valid, nthread=args.threads)
        booster = xgb.train(params, dtrain, rounds, evals=[(dvalid, "validation")],
                            early_stopping_rounds=early_stopping, verbose_eval=False)
        trees = booster.best_iteration + 1
    else:
        booster = xgb.train(params, dtrain, rounds)
        trees = rounds
    train_seconds = time.perf_counter() - started
    result = {"xgboostVersion": xgb.__version__, "trainSeconds": train_seconds, "trees": trees}
    if not measure:
        return result

    iteration_range = (0, trees)
    predictions = booster.inplace_predict(x_test, iteration_range=iteration_range)
    np.asarray(predictions, dtype=np.float64).tofile(args.predictions)

    rows = x_test[: args.latency_rows]
    for i in range(50):  # warm-up
        booster.inplace_predict(rows[i : i + 1], iteration_range=iteration_range)
    single = []
    for i in range(rows.shape[0]):
        started = time.perf_counter()
        booster.inplace_predict(rows[i : i + 1], iteration_range=iteration_range)
        single.append(time.perf_counter() - started)
    batch = x_test[:1000]
    batch_times = []
    for _ in range(30):
        started = time.perf_counter()
        booster.inplace_predict(batch, iteration_range=iteration_range)
        batch_times.append(time.perf_counter() - started)
    batch_seconds = float(np.median(batch_times))
    result.update({
        "rowP50Ms": percentile_ms(single, 50),
        "rowP99Ms": percentile_ms(single, 99),
        "batch1000Ms": batch_seconds * 1000.0,
        "batchRowsPerSecond": batch.shape[0] / batch_seconds,
    })
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--validation", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--predictions", required=True)
    parser.add_argument("--max-depth", type=int, default=6)
    parser.add_argument("--eta", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--latency-rows", type=int, default=2000)
    args = parser.parse_args()

    x_train, y_train = load(args.train)
    x_valid, y_valid = load(args.validation)
    x_test, _ = load(args.test)
    data = (x_train, y_train, x_valid, y_valid, x_test)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        result = train_once(args, data, request["rounds"], request["earlyStopping"], request["measure"])
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
