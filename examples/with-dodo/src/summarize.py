"""Summarize the measurements with the generated config: one dvcdoit stage.

Usage: python src/summarize.py gen/config.json data/measurements.csv summary.json
"""

from __future__ import annotations

import csv
import json
import sys


def main() -> None:
    config_path, data_path, out_path = sys.argv[1:4]
    with open(config_path, encoding="utf-8") as fd:
        config = json.load(fd)
    threshold = float(config["threshold"])
    stations: dict[str, list[float]] = {}
    with open(data_path, encoding="utf-8", newline="") as fd:
        for row in csv.DictReader(fd):
            stations.setdefault(row["station"], []).append(float(row["temperature"]))
    summary = {
        "unit": config["unit"],
        "threshold": threshold,
        "stations": {
            name: {"mean": round(sum(v) / len(v), 2), "max": max(v),
                   "days_above": sum(1 for x in v if x > threshold)}
            for name, v in sorted(stations.items())
        },
    }
    with open(out_path, "w", encoding="utf-8", newline="\n") as fd:
        json.dump(summary, fd, indent=2, sort_keys=True)
        fd.write("\n")


if __name__ == "__main__":
    main()
