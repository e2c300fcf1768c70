"""The floors the notebook asserts: where they come from, and what a changed setting does to them."""

import json
import math
import statistics
import sys
from pathlib import Path

import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
PARAMETERS = ("setup", "parameters", "helpers")
sys.path.insert(0, str(ROOT / "benchmarks"))
from tolerance import accuracy_floor  # noqa: E402


def record(model):
    return json.loads((ROOT / "benchmarks" / f"seeds-{model}.json").read_text())


@pytest.fixture(scope="module")
def nbp():
    from notebook_code import load_notebook_code
    return load_notebook_code(tags=PARAMETERS)


@pytest.fixture(scope="module")
def floors(nbp):
    return {"recipe": nbp["RECIPE_FLOOR"], "strong": nbp["STRONG_FLOOR"]}


@pytest.mark.parametrize("model", ["recipe", "strong"])
def test_floor_is_the_benchmarks_and_follows_its_rule(floors, model):
    """benchmarks/tolerance.py's rule: the lower end of the runs' prediction interval, rounded down to an image."""
    runs, summary, floor = record(model)["runs"], record(model)["summary"], floors[model]
    accuracies = [run["test_accuracy"] for run in runs]
    assert len(runs) >= 10 and {run["numeric"] for run in runs} == {"default", "eigen-avx2"}
    assert floor.runs == len(runs)
    assert (floor.lowest, floor.highest) == (round(min(accuracies), 4), round(max(accuracies), 4))
    n, mean, spread = len(accuracies), statistics.mean(accuracies), statistics.stdev(accuracies)
    t = stats.t.ppf(1 - 1 / 2000, n - 1)  # 1 in 1,000 outside the interval, half of it below
    expected = math.floor((mean - t * spread * math.sqrt(1 + 1 / n) - 1 / 10_000) * 10_000) / 10_000
    assert floor.minimum == summary["floor"] == accuracy_floor(model) == expected
    assert floor.minimum < min(accuracies)


@pytest.mark.parametrize("model", ["recipe", "strong"])
def test_floor_settings_are_the_parameters_defaults_the_benchmark_used(nbp, floors, model):
    settings = floors[model].settings
    assert settings == record(model)["settings"]
    assert settings == {name: nbp[name] for name in settings}, "the floor must be measured with the defaults"


def test_floor_is_enforced_with_the_measured_settings(nbp, floors, capsys):
    floor = floors["recipe"]
    nbp["check_floor"]("Recipe CNN", floor.minimum, floor, dict(floor.settings))
    assert "OK" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="below the floor"):
        nbp["check_floor"]("Recipe CNN", floor.minimum - 0.001, floor, dict(floor.settings))


def test_floor_is_reported_not_enforced_with_other_settings(nbp, floors, capsys):
    floor = floors["strong"]
    parameters = {**floor.settings, "STRONG_EPOCHS": 4}
    nbp["check_floor"]("Stronger CNN", 0.99, floor, parameters)
    out = capsys.readouterr().out
    assert "you changed STRONG_EPOCHS to 4" in out and "not enforced" in out
