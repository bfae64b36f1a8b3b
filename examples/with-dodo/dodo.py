"""An existing doit build: generate a config file, then write a report.

The one line below the imports adds every dvcdoit task (``repro``, ``repro:<stage>``,
``push``, ``pull``, ``fetch``, ``status``) to this build. The ``summarize`` stage of
dvc.yaml depends on ``gen/config.json``, which ``codegen`` makes, and ``report`` has the
stage's output ``summary.json`` in its ``file_dep``: doit orders the three by those links.
"""

from __future__ import annotations

import configparser
import json
from pathlib import Path

from dvcdoit.tasks import *  # the one line: dvc.yaml stages become doit tasks

DOIT_CONFIG = {"default_tasks": ["report"], "verbosity": 1}


def generate_config() -> None:
    """Write gen/config.json from the [summary] section of settings.ini."""
    parser = configparser.ConfigParser()
    parser.read("settings.ini", encoding="utf-8")
    config = {"unit": parser["summary"]["unit"],
              "threshold": parser["summary"].getfloat("threshold")}
    Path("gen").mkdir(exist_ok=True)
    Path("gen/config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def write_report() -> None:
    """Render report.md from summary.json, the output of the ``summarize`` stage."""
    summary = json.loads(Path("summary.json").read_text())
    lines = [f"# Temperatures ({summary['unit']}, threshold {summary['threshold']})", "",
             "| station | mean | max | days above |", "|---|---|---|---|"]
    for name, s in summary["stations"].items():
        lines.append(f"| {name} | {s['mean']} | {s['max']} | {s['days_above']} |")
    Path("report.md").write_text("\n".join(lines) + "\n")


def task_codegen() -> dict[str, object]:
    """Generate gen/config.json from settings.ini."""
    return {"actions": [generate_config], "file_dep": ["settings.ini"],
            "targets": ["gen/config.json"], "clean": True}


def task_report() -> dict[str, object]:
    """Write report.md from the stage output summary.json."""
    return {"actions": [write_report], "file_dep": ["summary.json"],
            "targets": ["report.md"], "clean": True}
