"""The pandas peer of bench/feature-views.ts: the same labels and feature CSV files, read, then
joined point in time with merge_asof (by the entity key, direction='backward',
allow_exact_matches=True: the newest feature row at or before each label).

usage: merge_asof_peer.py <labels.csv> <features.csv>  -> one JSON line on stdout
"""
import json
import resource
import sys
import time

import pandas as pd


def main(labels_path, features_path):
    started = time.perf_counter()
    labels = pd.read_csv(labels_path, dtype={"customer_id": str})
    features = pd.read_csv(features_path, dtype={"customer_id": str})
    read = time.perf_counter()
    labels["label_time"] = pd.to_datetime(labels["label_time"], utc=True)
    features["event_time"] = pd.to_datetime(features["event_time"], utc=True)
    # merge_asof needs both sides sorted on the time; stable keeps file order among equal times.
    labels = labels.sort_values("label_time", kind="stable")
    features = features.sort_values("event_time", kind="stable")
    joined = pd.merge_asof(
        labels,
        features,
        left_on="label_time",
        right_on="event_time",
        by="customer_id",
        direction="backward",
        allow_exact_matches=True,
    )
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "readSeconds": round(read - started, 2),
                "joinSeconds": round(done - read, 2),
                "matched": int(joined["visits"].notna().sum()),
                "visitsSum": int(joined["visits"].sum()),
                "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
