"""The notebook's run, checked figure by figure against the recorded runs, with a tolerance (issue 23).

nbval compares every output exactly, except what a run may change (tests/sanitize.cfg masks those, each
kind by its rule). Those values are checked here instead: the notebook writes its run's figures to
OUTPUT_DIR/results.json in its last cell, and each is compared with the runs recorded in
benchmarks/seeds-*.json, within the bounds of benchmarks/tolerance.py (one rule for every figure), and the
baseline's counts within benchmarks/mnist-copy.json's tolerance.

These tests run after nbval in the same pytest session (conftest.py orders them last). Without the
notebook in the session there is no fresh run to check, and they are skipped; CI always runs both.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from tolerance import STEPS, record, tolerances  # noqa: E402

RESULTS = ROOT / "outputs" / "results.json"  # OUTPUT_DIR's default, where nbval's run writes it
MNIST_COPY = json.loads((ROOT / "benchmarks" / "mnist-copy.json").read_text())


@pytest.fixture(scope="module")
def results(request):
    if not request.config.stash.get(NOTEBOOK_RAN, False):
        pytest.skip("the notebook did not run in this session: run `pytest`, or `pytest mnist_cnn.ipynb "
                    "tests/test_results.py`")
    started = request.config.stash[SESSION_STARTED]
    assert RESULTS.exists() and RESULTS.stat().st_mtime >= started, (
        f"the notebook's run did not write {RESULTS.relative_to(ROOT)}: did a cell fail before the last one?")
    return json.loads(RESULTS.read_text())


# set by conftest.py
NOTEBOOK_RAN = pytest.StashKey[bool]()
SESSION_STARTED = pytest.StashKey[float]()


@pytest.mark.parametrize("model", ["recipe", "strong"])
def test_the_run_used_the_recorded_settings(results, model):
    settings = record(model)["settings"]
    used = {name: results["settings"][name] for name in settings}
    assert used == settings, "the notebook's defaults are not those the records were made with: run " \
                             f"benchmarks/seeds.py --model {model} again"


@pytest.mark.parametrize("figure", list(STEPS))
@pytest.mark.parametrize("model", ["recipe", "strong"])
def test_each_figure_is_within_the_recorded_spread(results, model, figure):
    low, high = tolerances(model)[figure]
    value = results[model][figure]
    runs = [run[figure] for run in record(model)["runs"]]
    assert low - 1e-9 <= value <= high + 1e-9, (
        f"{model} {figure} = {value:.4f}, outside {low:.4f} to {high:.4f} (recorded runs: {min(runs):.4f} to "
        f"{max(runs):.4f}; benchmarks/tolerance.py): a regression, or a change the records must be remade for")


@pytest.mark.parametrize("count", ["val_right", "test_right"])
def test_the_baselines_counts_hold_on_any_faithful_copy_of_mnist(results, count):
    expected, tolerance = MNIST_COPY[count], MNIST_COPY["tolerance"]
    assert abs(results["baseline"][count] - expected) <= tolerance, (
        f"the baseline's {count} is {results['baseline'][count]}, expected {expected} ± {tolerance}")
