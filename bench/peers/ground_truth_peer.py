"""The pandas + scikit-learn peer of bench/ground-truth.ts: the same prediction and actual JSON Lines
files, read, joined (pandas merge, last received outcome per id) and scored with scikit-learn.

usage: ground_truth_peer.py <predictions.jsonl> <actuals.jsonl>  -> one JSON line on stdout
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score


def main(predictions_path, actuals_path):
    started = time.perf_counter()
    predictions = pd.read_json(predictions_path, lines=True, dtype={"id": str, "label": str})
    actuals = pd.read_json(actuals_path, lines=True, dtype={"id": str, "label": str})
    read = time.perf_counter()
    actuals = actuals.sort_values("receivedAt", kind="stable").drop_duplicates("id", keep="last")
    joined = predictions.merge(actuals, on="id", suffixes=("", "_actual"))
    y = (joined["label_actual"] == "yes").to_numpy(dtype=int)
    scores = joined["score"].to_numpy(dtype=float)
    predicted = (joined["label"] == "yes").to_numpy(dtype=int)
    metrics = {
        "auc": roc_auc_score(y, scores),
        "logLoss": log_loss(y, scores, eps=1e-15),
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, zero_division=0),
        "recall": recall_score(y, predicted, zero_division=0),
        "f1": f1_score(y, predicted, zero_division=0),
    }
    calibration_curve(y, scores, n_bins=10, strategy="uniform")
    done = time.perf_counter()
    print(json.dumps({
        "joined": int(len(joined)),
        "readSeconds": round(read - started, 2),
        "joinAndMetricsSeconds": round(done - read, 2),
        "totalSeconds": round(done - started, 2),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **metrics,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
