"""The notebook's markdown and the README state only figures that hold on every machine.

A reader on another processor gets slightly different results from training, so prose may state
a number only if it cannot change (an invariant, listed below with the reason) or if it is a
figure of a range that the benchmarks recorded over seeds and numeric settings
(benchmarks/seeds-*.json; what raw pixels do, benchmarks/unscaled.json), or a mean or range of the
ablation's table (benchmarks/ablation.json, 3 or more runs a row, and its timing,
benchmarks/ablation-timing.json). What one run found is printed by code, in lines that begin "In this run".

What is checked: every number in markdown cells and in the README's prose, outside code (inline
code spans and fenced blocks quote code, not results) and outside link targets. Single-digit
whole numbers are not checked: they name digits ("7 read as 2"), layers and steps, and cannot be
told apart from counts by their form; review catches those.
"""

import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Numbers that cannot change between runs or machines, each with the reason.
INVARIANTS = {
    # MNIST itself
    "70,000": "MNIST's images in all", "60,000": "MNIST's training split", "10,000": "MNIST's test split",
    "28": "MNIST's image side, in pixels", "20": "MNIST's digit box, in pixels",
    "14": "the pixel MNIST centres each digit's mass on", "11": "MNIST's download, in MB",
    "55": "MNIST in memory, in MB", "255": "the largest uint8 value",
    "65535": "the largest uint16 value", "10%": "VALIDATION_PERCENT's default",
    "82%": "the nearest-class-mean baseline's test accuracy: no training, so the same everywhere",
    "81%": "the nearest-class-mean baseline's validation accuracy: no training, so the same everywhere",
    # the models and their settings (parameter defaults, architecture), and what the code shows
    "110,538": "the recipe's parameter count", "124,682": "the stronger model's parameter count",
    "7,840": "the baseline's numbers: 10 class means of 784 pixels",
    "32": "the recipe's batch size (Keras's default) and first layer's filters",
    "128": "the stronger model's batch size and last layer's filters", "12": "STRONG_EPOCHS's default",
    "0.96": "the recipe's stopping threshold (ACCURACY_THRESHOLD)", "96%": "the same threshold, in percent",
    "30%": "DROPOUT_RATE's default", "42": "SEED's default", "25": "images shown in a grid (chosen in code)",
    "2.7": "MNIST's typical stroke width, in pixels", "50": "the size limit, in megapixels",
    "16": "16-bit images, and the largest side the low-resolution augmentation shrinks a digit to",
    "18": "the epochs of the ablation's longer schedule (benchmarks/ablation.py's LONGER_EPOCHS)",
    "98%": "a target the speed benchmark times",
    "99.5%": "a target the speed benchmark times",
    # the published recipe and other published figures
    "97%": "the published recipe's training accuracy after two epochs", "0.97": "the same, as a fraction",
    "98.07%": "the published recipe's test accuracy", "0.9807": "the same, as a fraction",
    "0.0686": "the published recipe's test loss",
    "0.0747": "the published recipe's test loss as its evaluate call returned it",
    "0.9792": "the published recipe's test accuracy as its evaluate call returned it",
    "0.9744": "the published recipe's training accuracy after its second epoch",
    "99.1": "simple tutorials' accuracy (published)", "99.25%": "simple tutorials' accuracy (published)",
    "99%": "the keras.io convnet's claim", "99.6": "well-trained single CNNs (published)",
    "99.8%": "well-trained single CNNs (published)", "99.7": "deeper models and ensembles (published)",
    "1%": "LeNet-5's error, 'just under 1%' (published)", "0.95%": "LeNet-5's error (LeCun et al., 1998)",
    "1998": "LeNet-5's year", "2003": "Simard et al.'s elastic distortions' year",
    "2021": "the label-error study's year", "2026": "the year of Colab's package list",
    "15": "label errors in MNIST's test set (Northcutt et al., 2021)",
    # weight decay, dropped (part 2): what the old setting did, worked out from the settings, and what was tried
    "0.1%": "the shrinkage of AdamW's weight decay 1e-4 over a whole run: about 1e-4 x 3e-3 / 2 x 5,000 steps",
    "500": "the ratio of the weight decay tried in benchmarks/AUGMENTATION.md (0.05) to the old one (1e-4)",
    # thresholds and bin edges chosen in code, and examples
    "0.9": "a calibration bin edge", "0.99": "a calibration bin edge", "0.999": "a calibration bin edge",
    "90%": "a calibration example", "0.55": "an example probability", "80%": "a calibration example",
    "320": "conv_1's parameter count, worked out in a question", "64": "the recipe's second convolution's filters",
    "101,770": "the dense baseline's parameter count (784 x 128 + 128 + 128 x 10 + 10)",
    "26": "conv_1's output side: a 3x3 window fits 26 times across 28 pixels",
    "13": "pool_1's output side: 26 halved",
    "22": "the side of the top-left square of pixels the recipe's last layer depends on (its architecture)",
    "1,000": "MNIST's test images per digit, roughly",
    "90": "the length of the class the core path is planned for, in minutes",
    # the introduction's time plan for a class (minutes per block): core-path words at 200 a minute, plus about
    # 2 minutes a question and 5 a Try it, rounded up per block; 15 is already listed above for another reason
    "30": "minutes planned for part 1's recipe block in class",
    # worked out in the primer's question: 54,000 training images in batches of 128, for 12 epochs
    "54,000": "the training split: 90% of MNIST's 60,000", "421.875": "54,000 / 128",
    "422": "steps per epoch at batch size 128", "112": "the last batch's images: 54,000 - 421 x 128",
    "5,064": "steps in 12 epochs of 422", "0.1": "a uniform guess's probability for each of ten digits",
    "2.30": "ln 10, the cross-entropy of a uniform guess over ten digits",
    "99.9%": "the calibration's top bin edge, 0.999, in percent",
    "9,000": "a round number of test images, in the calibration question", "0.001": "1 - 0.999, in the same question",
    "140": "the canvas's message, in pixels a side (the browser half sends 140x140)",
    # the out-of-MNIST check set (make_check_set)
    "1,797": "scikit-learn's digits (load_digits)", "43": "the writers of scikit-learn's digits",
    "17": "the grey levels of scikit-learn's digits (0 to 16)",
    "600": "the drawings in the check set: 20 per digit for each of three ways of delivering them",
    # the Python versions the project is run with
    "3.11": "the Python version the project is tested with", "3.13": "Colab's Python version",
}


# Recorded spans that prose may quote by one end: the worst sample reading ("0.982 or more") and the
# most confident images that were wrong ("at most 1"). Any other span is quoted as a range, both ends.
ONE_SIDED = {"sample_lowest_probability": "lowest", "sure_wrong": "highest"}


def recorded_figures():
    """How prose may write the benchmarks' figures: (figures allowed alone, [(low end, high end) of each span])."""
    alone, spans = set(), []
    for path in sorted((ROOT / "benchmarks").glob("seeds-*.json")):
        summary = json.loads(path.read_text())["summary"]
        alone |= {str(value) for value in summary.values() if isinstance(value, int)}  # runs, seeds, counts
        alone.add(f"{summary['floor']}")
        for key, value in summary.items():
            if not isinstance(value, dict):
                continue
            low, high = (written(value[end], down=end == "lowest") for end in ("lowest", "highest"))
            if key in ONE_SIDED:
                alone |= low if ONE_SIDED[key] == "lowest" else high
            else:
                spans.append((low, high))
    for row, runs in ablation_rows().items():  # the ablation's table: a mean over 3 or more runs, and its range
        if not row.startswith("+ batch norm"):  # the rows on the path to the notebook's model
            alone |= {f"{run['parameters']:,}" for run in runs}
        for key in ["val_accuracy", "seconds", *[key for key in runs[0] if key.startswith("check_set_")]]:
            values = [run[key] for run in runs]
            alone |= written(sum(values) / len(values), down=False) | written(sum(values) / len(values), down=True)
            spans.append((written(min(values), down=True), written(max(values), down=False)))
    unscaled = json.loads((ROOT / "benchmarks" / "unscaled.json").read_text())  # what raw pixels do to the recipe
    alone.add(str(unscaled["steps"]))
    raw = [run["untrained_val_loss"] for run in unscaled["runs"] if run["pixels"] == "0 to 255"]
    spans.append(({f"{min(raw):.1f}"}, {f"{max(raw):.1f}"}))
    timing = json.loads((ROOT / "benchmarks" / "ablation-timing.json").read_text())["seconds_per_epoch"]
    for spread in timing.values():  # each row's train step, seconds per epoch: a median, and its range
        alone |= {f"{spread['median']:.1f}"}
        spans.append(({f"{spread['lowest']:.1f}"}, {f"{spread['highest']:.1f}"}))
    return alone, spans


def ablation_rows():
    """benchmarks/ablation.json's runs by row, for rows with 3 or more runs (the table the notebook shows)."""
    rows = {}
    for run in json.loads((ROOT / "benchmarks" / "ablation.json").read_text()):
        rows.setdefault(run["row"], []).append(run)
    return {row: runs for row, runs in rows.items() if len(runs) >= 3}


def written(value, down):
    """A recorded value as prose may write it: a count, or a fraction or percentage, rounded or rounded outwards."""
    if isinstance(value, int):
        return {str(value), f"{value:,}"}
    outward = math.floor if down else math.ceil
    forms = {f"{round(value)}", f"{outward(value)}"} if value > 1 else set()  # seconds
    for decimals in (2, 3, 4):
        scale = 10 ** decimals
        forms |= {f"{value:.{decimals}f}", f"{outward(value * scale) / scale:.{decimals}f}"}
    for decimals in (0, 1, 2):
        scale = 10 ** decimals
        forms |= {f"{100 * value:.{decimals}f}%", f"{outward(100 * value * scale) / scale:.{decimals}f}%"}
    return forms


NUMBER = re.compile(r"(?<![\w.,-])\d[\d,]*(?:\.\d+)?%?(?![\w])")


def numbers_in(prose):
    """The numbers in a piece of Markdown, outside code and link targets, single digits left out."""
    prose = re.sub(r"```.*?```", " ", prose, flags=re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", " ", prose)
    prose = re.sub(r"\]\([^)]*\)", "]", prose)
    prose = re.sub(r"https?://\S+", " ", prose)
    prose = re.sub(r"(?m)^\s*\d+\. ", " ", prose)  # numbered-list markers
    found = [match.rstrip(",.") for match in NUMBER.findall(prose)]
    return [number for number in found if not re.fullmatch(r"\d", number)]


def unexplained(prose, recorded):
    """Numbers in prose that are neither invariants nor recorded figures, quoted as the records allow.

    A span's end counts only beside the other end in the same prose ("from 95.5% to 98.4%"): the
    notebook's own run is one of the recorded runs, so an end alone may be that run's figure.
    """
    alone, spans = recorded
    numbers = numbers_in(prose)
    present = set(numbers)
    in_a_range = set()
    for low, high in spans:
        if low & present and high & present:
            in_a_range |= (low | high) & present
    return [number for number in numbers if number not in INVARIANTS and number not in alone
            and number not in in_a_range]


def markdown_cells():
    cells = json.loads((ROOT / "mnist_cnn.ipynb").read_text(encoding="utf-8"))["cells"]
    return [(index, "".join(cell["source"])) for index, cell in enumerate(cells) if cell["cell_type"] == "markdown"]


def test_the_check_catches_a_run_specific_number():
    recorded = recorded_figures()
    assert unexplained("In this run the recipe makes 187 errors, 41 for the stronger one.", recorded) == ["187", "41"]
    assert unexplained("It reaches 98.13% on the test set.", recorded) == ["98.13%"]
    assert unexplained("Digit 7 is read as 2; see `train[:90%]` and [here](https://x.org/a1998).", recorded) == []


def test_a_recorded_end_counts_only_as_part_of_a_range():
    recorded = recorded_figures()
    summary = json.loads((ROOT / "benchmarks" / "seeds-strong.json").read_text())["summary"]
    low, high = summary["test_errors"]["lowest"], summary["test_errors"]["highest"]
    assert unexplained(f"The stronger model misclassified between {low} and {high} test images.", recorded) == []
    assert unexplained(f"This run misclassifies {low} test images.", recorded) == [str(low)]


def test_the_benchmark_records_exist():
    assert sorted(path.name for path in (ROOT / "benchmarks").glob("seeds-*.json")) == [
        "seeds-recipe.json", "seeds-strong.json"]


def test_the_notebooks_ablation_table_is_made_from_the_records():
    """Part 2's ablation table is what `python benchmarks/ablation.py --notebook-table` prints, line for line."""
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from ablation import notebook_table

    table = [line for _, source in markdown_cells() for line in source.splitlines()
             if line.startswith("| change | MNIST validation")]
    assert len(table) == 1, "part 2 shows the ablation's table once"
    source = next(source for _, source in markdown_cells() if table[0] in source).splitlines()
    start = source.index(table[0])
    shown = source[start:start + next((i for i, line in enumerate(source[start:]) if not line.startswith("|")),
                                      len(source) - start)]
    assert shown == notebook_table(), "run `python benchmarks/ablation.py --notebook-table` and paste its table"


def test_markdown_states_only_invariants_and_recorded_ranges():
    recorded = recorded_figures()
    problems = {index: unexplained(source, recorded) for index, source in markdown_cells()}
    problems = {index: numbers for index, numbers in problems.items() if numbers}
    assert not problems, (
        f"markdown cells (by index) state numbers that a run can change: {problems}. Print them from code "
        "(a line beginning 'In this run'), or quote a range from benchmarks/seeds-*.json, or, if a number "
        "cannot change, add it to INVARIANTS in tests/test_prose.py with the reason.")


def test_readme_states_only_invariants_and_recorded_ranges():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not unexplained(readme, recorded_figures()), (
        f"README.md states numbers that a run can change: {unexplained(readme, recorded_figures())}")
