"""The one rule for how far an honest run may land from the recorded runs (issue 23).

The records (benchmarks/seeds-*.json) hold each figure of each model over seeds and numeric settings: 10 or
more runs, each one draw of what a run on some machine may print. A run on a machine nobody measured is one
more draw. For each figure the tolerance is the two-sided prediction interval of a normal sample,

    mean ± (t * s * sqrt(1 + 1/n) + one step)

with n runs, their mean and standard deviation s, and t Student's quantile for n - 1 degrees of freedom
that leaves FALSE_FAILURE / 2 in each tail: an honest run falls outside with a chance of 1 in 1,000
(each side 1 in 2,000), if the figure varies like a normal draw. The step is the figure's resolution
(one image of the set it counts), the stated margin: counts are whole, so a bound never falls between two
values a run can print. A figure that did not vary in any recorded run (epochs, samples read right) must
come out exactly as recorded.

The floors are the lower ends: the notebook asserts the test-accuracy floors, and tests/test_results.py
checks every figure of a run (accuracies, losses, error counts, sure mistakes, the check set overall and
per source) against both ends.

    python benchmarks/tolerance.py    # prints every bound, as the README's testing section quotes them
"""

import json
import math
import statistics
from pathlib import Path

from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
FALSE_FAILURE = 1 / 1000  # the chance that an honest run trips one figure's bounds, both sides together

# The figures checked, with their step: the resolution of what a run prints (one image of the set counted).
TEST, VALIDATION, CHECK_SET_ALL, SOURCE = 10_000, 6_000, 1_797 + 3 * 200, 200
STEPS = {
    "test_accuracy": 1 / TEST, "test_errors": 1, "test_loss": 0.0001,
    "final_val_accuracy": 1 / VALIDATION, "first_val_accuracy": 1 / VALIDATION, "final_train_accuracy": 0.0001,
    "sure_images": 1, "sure_wrong": 1, "epochs": 0, "samples_right": 0,
    "check_set_check_set_all": 1 / CHECK_SET_ALL, "check_set_scikit_learn_s_8x8_scans": 1 / 1_797,
    "check_set_photographed_on_paper": 1 / SOURCE, "check_set_scanned": 1 / SOURCE,
    "check_set_drawing_app_export": 1 / SOURCE,
}
# Fractions cannot leave [0, 1]; counts cannot go below 0.
LIMITS = {key: (0, 1) for key in STEPS if "accuracy" in key or key.startswith("check_set_")}


def record(model):
    return json.loads((ROOT / "benchmarks" / f"seeds-{model}.json").read_text())


def bounds(values, step):
    """(lowest, highest) an honest run may print for a figure recorded as `values`, by the rule above."""
    n, mean = len(values), statistics.mean(values)
    spread = statistics.stdev(values)
    if spread == 0:
        return mean, mean
    t = stats.t.ppf(1 - FALSE_FAILURE / 2, n - 1)
    half = t * spread * math.sqrt(1 + 1 / n) + step
    return mean - half, mean + half


def tolerances(model):
    """Every checked figure's bounds for one model: {figure: (lowest, highest)}."""
    runs = record(model)["runs"]
    result = {}
    for key, step in STEPS.items():
        low, high = bounds([run[key] for run in runs], step)
        floor, ceiling = LIMITS.get(key, (0, math.inf))
        result[key] = (max(low, floor), min(high, ceiling))
    return result


def accuracy_floor(model):
    """The test-accuracy floor the notebook asserts: the lower bound, rounded down to a whole image."""
    return math.floor(tolerances(model)["test_accuracy"][0] * TEST) / TEST


def main():
    for model in ("recipe", "strong"):
        runs = record(model)["runs"]
        print(f"{model}: {len(runs)} runs; test-accuracy floor {accuracy_floor(model)}")
        for key, (low, high) in tolerances(model).items():
            values = [run[key] for run in runs]
            print(f"  {key}: recorded {min(values):.4f} to {max(values):.4f}, allowed {low:.4f} to {high:.4f}")


if __name__ == "__main__":
    main()
