"""What the benchmarks of issue 22 share: the notebook's code with the model it saved last, and rewriting a
report from its record without measuring again."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebook_and_saved_model():
    """The notebook's setup, parameter and helper cells as a namespace, and the model at its MODEL_PATH."""
    sys.path.insert(0, str(ROOT / "tests"))
    from notebook_code import load_notebook_code

    nb = load_notebook_code(tags=("setup", "parameters", "helpers"))
    return nb, nb["keras"].models.load_model(ROOT / nb["MODEL_PATH"])


def rewrite_report(record_name, report_name, report):
    """Write benchmarks/<report_name> again from benchmarks/<record_name>, with `report(record)`, and print it."""
    record = json.loads((ROOT / "benchmarks" / record_name).read_text())
    (ROOT / "benchmarks" / report_name).write_text(report(record) + "\n")
    print(report(record))
