"""XGBoost side of bench/learners.ts: trains on the CSVs it is given and reports JSON on stdout.

Installs nothing (bench/learners.ts ensures python3-xgboost). Run with /usr/bin/python3.
Timing covers training only, not CSV loading. Test-set probabilities are written as float64
to --predictions so the TypeScript side scores both learners with the same AUC code.
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--validation", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--predictions", required=True)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--max-depth", type=int, default=6)
    parser.add_argument("--eta", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--early-stopping", type=int, default=0, help="patience; 0 trains every round")
    parser.add_argument("--latency-rows", type=int, default=2000)
    args = parser.parse_args()

    x_train, y_train = load(args.train)
    x_valid, y_valid = load(args.validation)
    x_test, _ = load(args.test)
    mean = float(y_train.mean())
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": args.max_depth,
        "eta": args.eta,
        "lambda": 1.0,
        "min_child_weight": 1.0,
        "max_bin": 256,
        "nthread": args.threads,
        "base_score": mean,  # ours starts from the positive rate too
        "eval_metric": "logloss",
    }
    started = time.perf_counter()
    dtrain = xgb.DMatrix(x_train, label=y_train, nthread=args.threads)
    if args.early_stopping > 0:
        dvalid = xgb.DMatrix(x_valid, label=y_valid, nthread=args.threads)
        booster = xgb.train(params, dtrain, args.rounds, evals=[(dvalid, "validation")],
                            early_stopping_rounds=args.early_stopping, verbose_eval=False)
        trees = booster.best_iteration + 1
    else:
        booster = xgb.train(params, dtrain, args.rounds)
        trees = args.rounds
    train_seconds = time.perf_counter() - started

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

    json.dump({
        "xgboostVersion": xgb.__version__,
        "trainSeconds": train_seconds,
        "trees": trees,
        "rowP50Ms": percentile_ms(single, 50),
        "rowP99Ms": percentile_ms(single, 99),
        "batch1000Ms": batch_seconds * 1000.0,
        "batchRowsPerSecond": batch.shape[0] / batch_seconds,
    }, sys.stdout)


if __name__ == "__main__":
    main()
