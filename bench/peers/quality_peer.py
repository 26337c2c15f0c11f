"""Real public data sets shipped with Debian's python3-sklearn, scored by XGBoost and logistic
regression on fixed stratified folds; writes each fold's train/test CSV for the TypeScript side.

usage: quality_peer.py <out_dir>   -> <out_dir>/<dataset>/fold<k>-{train,test}.csv and results.json
Installs nothing: the bench harness installs python3-sklearn and python3-xgboost when missing.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def datasets():
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer", X, y, "malignant=0 vs benign=1 (569 rows x 30)"
    X, y = load_digits(return_X_y=True)
    yield "digits_ge5", X, (y >= 5).astype(int), "handwritten digit >= 5 (1797 rows x 64)"
    X, y = load_wine(return_X_y=True)
    yield "wine_class0", X, (y == 0).astype(int), "cultivar 0 vs the rest (178 rows x 13)"
    X, y = load_iris(return_X_y=True)
    yield "iris_versicolor", X, (y == 1).astype(int), "versicolor vs the rest (150 rows x 4)"


def main(out_dir):
    results = {}
    for name, X, y, description in datasets():
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        columns = [f"x{i}" for i in range(X.shape[1])]
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        scores = {"xgboost": [], "logistic": []}
        for k, (train, test) in enumerate(folds.split(X, y)):
            for part, rows in (("train", train), ("test", test)):
                with open(os.path.join(folder, f"fold{k}-{part}.csv"), "w") as f:
                    f.write(",".join(columns + ["target"]) + "\n")
                    for r in rows:
                        f.write(",".join(repr(float(v)) for v in X[r]) + f",{int(y[r])}\n")
            booster = xgb.XGBClassifier(n_estimators=200, max_depth=6, tree_method="hist", n_jobs=2, random_state=0)
            booster.fit(X[train], y[train])
            scores["xgboost"].append(roc_auc_score(y[test], booster.predict_proba(X[test])[:, 1]))
            logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
            logistic.fit(X[train], y[train])
            scores["logistic"].append(roc_auc_score(y[test], logistic.predict_proba(X[test])[:, 1]))
        results[name] = {"description": description, "folds": 5, **{k: float(np.mean(v)) for k, v in scores.items()}}
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
