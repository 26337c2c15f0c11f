"""Real public data sets shipped with Debian's python3-sklearn, plus small, imbalanced and mostly
categorical generated ones, scored by XGBoost and logistic regression on fixed stratified folds;
writes each fold's train/test CSV for the TypeScript side.

usage: quality_peer.py <out_dir>   -> <out_dir>/<dataset>/fold<k>-{train,test}.csv and results.json
Installs nothing: the bench harness installs python3-sklearn and python3-xgboost when missing.
Categorical columns are one-hot encoded for both peers (fitted on each fold's training rows).
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def frame(X):
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def mostly_categorical(rows, seed):
    """6 categorical columns (3 to 20 levels) and 2 numeric ones; the target depends on level
    effects, one categorical interaction and a numeric term, with label noise."""
    rng = np.random.default_rng(seed)
    cards = [3, 5, 8, 12, 20, 4]
    cols, logit = {}, np.zeros(rows)
    for i, card in enumerate(cards):
        codes = rng.integers(0, card, rows)
        effects = rng.normal(0, 0.8, card)
        cols[f"c{i}"] = np.array([f"L{c}" for c in codes], dtype=object)
        logit += effects[codes]
        if i == 1:
            first = codes
        if i == 2:
            logit += 0.8 * ((first % 2 == 0) & (codes % 3 == 0))
    for j in range(2):
        v = rng.normal(0, 1, rows)
        cols[f"n{j}"] = np.round(v, 4)
        logit += 0.5 * v
    y = (rng.random(rows) < 1 / (1 + np.exp(-(logit - logit.mean())))).astype(int)
    return pd.DataFrame(cols), y


def datasets():
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer", frame(X), y, "malignant=0 vs benign=1 (569 rows x 30)"
    X, y = load_digits(return_X_y=True)
    yield "digits_ge5", frame(X), (y >= 5).astype(int), "handwritten digit >= 5 (1797 rows x 64)"
    X, y = load_wine(return_X_y=True)
    yield "wine_class0", frame(X), (y == 0).astype(int), "cultivar 0 vs the rest (178 rows x 13)"
    X, y = load_iris(return_X_y=True)
    yield "iris_versicolor", frame(X), (y == 1).astype(int), "versicolor vs the rest (150 rows x 4)"
    X, y = make_classification(n_samples=300, n_features=12, n_informative=5, flip_y=0.1, random_state=7)
    yield "gen_small", frame(np.round(X, 4)), y, "generated, 300 rows x 12, 10% label noise"
    X, y = make_classification(n_samples=4000, n_features=15, n_informative=6, weights=[0.95], flip_y=0.02, random_state=11)
    yield "gen_imbalanced", frame(np.round(X, 4)), y, "generated, 4000 rows x 15, 5% positives"
    X, y = mostly_categorical(2000, 13)
    yield "gen_categorical", X, y, "generated, 2000 rows: 6 categorical + 2 numeric"


def main(out_dir):
    results = {}
    for name, X, y, description in datasets():
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        scores = {"xgboost": [], "logistic": []}
        for k, (train, test) in enumerate(folds.split(X, y)):
            for part, rows in (("train", train), ("test", test)):
                out = X.iloc[rows].copy()
                out["target"] = y[rows]
                out.to_csv(os.path.join(folder, f"fold{k}-{part}.csv"), index=False, float_format="%r")
            encoded = pd.get_dummies(X, dtype=float).to_numpy()
            booster = xgb.XGBClassifier(n_estimators=200, max_depth=6, tree_method="hist", n_jobs=2, random_state=0)
            booster.fit(encoded[train], y[train])
            scores["xgboost"].append(roc_auc_score(y[test], booster.predict_proba(encoded[test])[:, 1]))
            logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
            logistic.fit(encoded[train], y[train])
            scores["logistic"].append(roc_auc_score(y[test], logistic.predict_proba(encoded[test])[:, 1]))
        results[name] = {"description": description, "folds": 5, **{k: float(np.mean(v)) for k, v in scores.items()}}
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
