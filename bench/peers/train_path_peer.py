"""Python side of bench/train-path.ts: the path a data scientist runs on the same CSV.

pandas.read_csv + get_dummies + XGBClassifier(n_estimators=100, max_depth=6, tree_method="hist",
n_jobs=2), fitted on 80% of the rows; prints JSON (phase seconds, validation AUC) on stdout.
Installs nothing (bench/train-path.ts ensures the Debian packages). Run with /usr/bin/python3.
"""
import json
import sys
import time

started = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from xgboost import XGBClassifier  # noqa: E402

imported = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
read = time.perf_counter()
target = frame.pop("target").to_numpy()
features = pd.get_dummies(frame, dtype=np.float64)
encoded = time.perf_counter()
rows = np.random.default_rng(42).permutation(len(features))
cut = int(len(rows) * 0.8)
train, valid = rows[:cut], rows[cut:]
model = XGBClassifier(n_estimators=100, max_depth=6, tree_method="hist", n_jobs=2)
model.fit(features.iloc[train], target[train])
trained = time.perf_counter()
auc = roc_auc_score(target[valid], model.predict_proba(features.iloc[valid])[:, 1])
print(json.dumps({
    "importSeconds": imported - started,
    "readSeconds": read - imported,
    "dummiesSeconds": encoded - read,
    "trainSeconds": trained - encoded,
    "validationAuc": float(auc),
}))
