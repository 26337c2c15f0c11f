"""Checks that the built-in churn data rewards a tree model over logistic regression.

Not part of the test suite (needs Debian's python3-sklearn and python3-pandas). Write the
files, then run it:
  node -e "require('tsx/cjs'); const fs=require('fs'); const {churnCsv}=require('./core/datasets/churn');
    fs.writeFileSync('/tmp/churn_v1.csv', churnCsv({rows:50000, seed:7}));
    fs.writeFileSync('/tmp/churn_v2.csv', churnCsv({rows:50000, seed:7, batch:'v2'}))"
  /usr/bin/python3 test/core/datasets/churn-separability.py /tmp/churn_v1.csv /tmp/churn_v2.csv
"""
import sys

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

for path in sys.argv[1:]:
    data = pd.read_csv(path)
    target = (data.churned == 'yes').astype(int)
    features = data.drop(columns=['customer_id', 'churned'])
    features['is_mobile_user'] = (features.is_mobile_user == 'yes').astype(int)
    features['newsletter_subscriber'] = features.newsletter_subscriber.astype(int)
    features = pd.get_dummies(features, columns=['plan', 'region', 'payment_method'], dtype=float)
    x_train, x_test, y_train, y_test = train_test_split(features, target, test_size=0.3, random_state=0)
    medians = x_train.median()
    scaler = StandardScaler().fit(x_train.fillna(medians))
    linear = LogisticRegression(max_iter=2000).fit(scaler.transform(x_train.fillna(medians)), y_train)
    trees = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_depth=4).fit(x_train, y_train)
    print(
        f'{path}: churn rate {target.mean():.3f}',
        f'logistic AUC {roc_auc_score(y_test, linear.predict_proba(scaler.transform(x_test.fillna(medians)))[:, 1]):.3f}',
        f'boosted trees AUC {roc_auc_score(y_test, trees.predict_proba(x_test)[:, 1]):.3f}',
    )
