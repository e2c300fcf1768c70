"""The notebook's markdown and the README state only figures that hold on every machine, and say of each
what it is (issue 23).

A reader on another processor gets slightly different results from training, so prose may state a number
only if it cannot change (an invariant, listed below) or if it is a figure the benchmarks recorded over seeds
and numeric settings (benchmarks/seeds-*.json, ablation.json, ablation-timing.json, unscaled.json). What one
run found is printed by code, in lines that begin "In this run".

Matching the number is not enough: a true number in a false sentence ("the stronger model misclassified
154 to 226 test images", the recipe's range) must fail too. So each number must be explained by a *fact*:

- the fact's value, in a form prose may write it (a count, a fraction or a percentage, rounded or rounded
  outwards), and for a recorded range both ends in the same sentence;
- the fact's words (`what`, a regular expression) in the number's sentence: "errors" for an error count,
  "floor" for a floor;
- the fact's unit, where the number counts something: a number followed by a counted noun ("3 epochs",
  "7 of those runs", "two epochs") must be a fact with that unit, single digits and spelled numbers too;
- the fact's subject: the model or ablation row named nearest before the number in its sentence (if any)
  must be one the fact describes.

What is checked: every sentence of the markdown cells and of the README's prose, outside code (inline code
spans and fenced blocks quote code, not results) and outside link targets. Single-digit numbers that count
nothing named after them are not checked: they name digits ("7 read as 2"), layers and steps.
"""

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Fact:
    forms: frozenset        # how prose may write the value
    what: str               # words that must be in the sentence (a regular expression; "" for any)
    unit: str = ""          # the noun a count must be followed by (regular expression; "": it counts nothing)
    subjects: frozenset = frozenset()  # the models or ablation rows it describes; empty: none in particular
    other_end: frozenset = frozenset()  # a range's other end, which must be in the same sentence
    source: str = ""


# Who a number can describe, as prose names them. The mention nearest before a number in its sentence counts.
SUBJECTS = {
    "recipe": r"(?<!published )\brecipe\b(?!'s (?:own )?network)|\bpublished recipe, rebuilt\b",
    "strong": r"\bstronger\b|\bkept model\b",
    "published": r"\bpublished\b(?! recipe, rebuilt)|\bits README\b",
    "baseline": r"\bbaseline\b|\bnearest[ -]class[ -]mean\b",
    "dense": r"\bdense (?:network|baseline)\b",
    # the ablation's rows (benchmarks/ablation.json)
    "control": r"\bcontrol\b|\bthe schedule\b",
    "+ wide head": r"\bwide head\b",
    "+ dropout": r"\bdropout\b",
    "+ shifts": r"\bshifts\b",
    "low resolution": r"\blow resolution\b",
    "18 epochs": r"\b18 epochs\b",
    "two more convolutions": r"\btwo more convolutions\b",
    "elastic": r"\belastic distortion\b",
    "+ batch norm": r"\bbatch norm(?:alisation)?\b(?:, after the wide head)?",
    "+ batch norm, dropout": r"\bbatch norm(?:alisation)? and dropout\b",
}
ROWS = {"control": "control", "+ wide head": "+ wide head", "+ dropout": "+ dropout", "+ shifts": "+ shifts",
        "+ handwriting (lowres=0.5+shift)": "low resolution", "+ 18 epochs (lowres=0.5+shift)": "18 epochs",
        "+ two more convolutions (lowres=0.5+shift)": "two more convolutions",
        "+ elastic distortion (elastic=1.0+lowres=0.5+shift)": "elastic", "+ batch norm": "+ batch norm",
        "+ batch norm, dropout": "+ batch norm, dropout"}
COUNTED = r"epochs?|runs?|seeds?|errors?|mistakes|images|minutes|steps|writers|people|drawings|rows|filters"
SPELLED = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
           "ten": "10", "eleven": "11", "twelve": "12"}


def invariant(what, reason, unit="", subject=None):
    return what, unit, frozenset({subject} if subject else ()), reason


# Numbers that cannot change between runs or machines: the words they come with, and the reason.
INVARIANTS = {
    # MNIST itself
    "70,000": invariant(r"images|MNIST", "MNIST's images in all", "images"),
    "60,000": invariant(r"training|MNIST", "MNIST's training split", "images"),
    "10,000": invariant(r"test", "MNIST's test split", "images"),
    "10": invariant(r"ln 10|digits|classes|up to 10|^\| spare|minutes to spare|over 10 minutes",
                    "the classes, ten digits; MAX_EPOCHS's default; the class plan's spare minutes; the training time "
                    "past which the class plan's 15 minutes for part 2 do not hold (a rule of the plan)", "minutes"),
    "28": invariant(r"28|pixels|MNIST|image|side", "MNIST's image side, in pixels"),
    "20": invariant(r"pixels|box|20-pixel|per digit|drawings", "MNIST's digit box, in pixels; the check set's "
                    "drawings per digit"),
    "14": invariant(r"centre|center|pixel", "the pixel MNIST centres each digit's mass on"),
    "11": invariant(r"MB|downloads|turns 11|11 → 5", "MNIST's download, in MB; pool_2's input side (the recipe's "
                    "architecture)"),
    "55": invariant(r"MB|memory", "MNIST in memory, in MB"),
    "255": invariant(r"pixel|uint8|bytes|larger|ink|0 to 255|0-255", "the largest uint8 value"),
    "65535": invariant(r"16-bit|uint16", "the largest uint16 value"),
    "10%": invariant(r"validation|training split", "VALIDATION_PERCENT's default"),
    "82%": invariant(r"test|nearest class mean|baseline", "the baseline's test accuracy: no training",
                     subject="baseline"),
    "81%": invariant(r"right|baseline|average", "the baseline's validation accuracy: no training"),
    # the models and their settings (parameter defaults, architecture), and what the code shows
    "110,538": invariant(r"parameters|recipe", "the recipe's parameter count", subject="recipe"),
    "124,682": invariant(r"parameters|stronger", "the stronger model's parameter count", subject="strong"),
    "7,840": invariant(r"parameters|baseline|\|", "the baseline's numbers: 10 class means of 784 pixels"),
    "32": invariant(r"batch|filters|32\u00d732|Keras's default|channels|\u00d7", "the recipe's batch size "
                    "and first layer's filters; 32x32 images in a question", "filters|images"),
    "128": invariant(r"batch|filters|hidden units|54,000", "the stronger model's batch size and last layer's "
                     "filters; the dense baseline's hidden units", "filters"),
    "3,200": invariant(r"values", "the values the stronger model's classifier reads: conv_3's 5 x 5 positions x 128 "
                       "filters (the model summary's flatten layer)"),
    "12": invariant(r"epochs|STRONG_EPOCHS|schedule|12 epochs", "STRONG_EPOCHS's default", "epochs"),
    "0.96": invariant(r"threshold|recall|ACCURACY_THRESHOLD", "the recipe's stopping threshold; the published "
                      "report's lowest recall"),
    "96%": invariant(r"threshold|training accuracy exceeds", "the recipe's stopping threshold, in percent"),
    "30%": invariant(r"[Dd]ropout|values|features", "DROPOUT_RATE's default"),
    "42": invariant(r"seeds?|SEED", "SEED's default"),
    "25": invariant(r"images|misclassified|over 25 s", "images shown in a grid (chosen in code); the class plan's "
                    "rule, 12 epochs in 5 minutes: 25 s an epoch", "images|misclassified"),
    "50": invariant(r"megapixels|batch", "the size limit, in megapixels; the published recipe's batch size"),
    "16": invariant(r"16-bit|pixels|side|grey|0 to 16", "16-bit images; the largest side the low-resolution "
                    "augmentation shrinks a digit to; the top grey level of scikit-learn's digits"),
    "18": invariant(r"18 epochs|epochs", "the epochs of the ablation's longer schedule (LONGER_EPOCHS)", "epochs"),
    "98%": invariant(r"time to reach|validation accuracy", "a target the speed benchmark times"),
    "99.5%": invariant(r"time to reach|validation accuracy", "a target the speed benchmark times"),
    # the published recipe and other published figures
    "98.07%": invariant(r"README|progress bar|published", "the published recipe's test accuracy, as its README "
                        "quotes it"),
    "0.0686": invariant(r"README|progress bar|loss", "the published recipe's test loss, as its README quotes it"),
    "0.0747": invariant(r"evaluate|loss", "the published test loss as its evaluate call returned it"),
    "0.9792": invariant(r"evaluate|published|returned", "the published test accuracy as its evaluate call returned it"),
    "0.9744": invariant(r"training accuracy", "the published recipe's training accuracy after its second epoch"),
    "99%": invariant(r"keras\.io|time to reach", "the keras.io convnet's claim; a target the speed benchmark times"),
    "1%": invariant(r"LeNet", "LeNet-5's error, 'just under 1%' (published)", "errors?"),
    "1998": invariant(r"LeNet|LeCun|published", "LeNet-5's year"),
    "2003": invariant(r"Simard", "Simard et al.'s elastic distortions' year"),
    "2021": invariant(r"Northcutt|Label Errors", "the label-error study's year"),
    "2026": invariant(r"Colab", "the year of Colab's package list"),
    # thresholds and bin edges chosen in code, and examples
    "0.9": invariant(r"probabilit|confiden|above", "a calibration bin edge, and the threshold of a confident mistake"),
    "0.999": invariant(r"confiden|above|probabilit", "a calibration bin edge"),
    "90%": invariant(r"0\.9|right", "a calibration example"),
    "18,496": invariant(r"weights|bias|parameters",
                        "conv_2's parameter count, worked out in a question: 64 x (3 x 3 x 32) + 64"),
    "320": invariant(r"parameters|conv_1|32 \u00d7", "conv_1's parameter count, worked out in a question"),
    "64": invariant(r"filters|pixels|64 pixels|8\u00d78", "the recipe's second convolution's filters; an 8x8 "
                    "image's pixels", "filters"),
    "101,770": invariant(r"parameters", "the dense baseline's parameter count (784 x 128 + 128 + 128 x 10 + 10)"),
    "26": invariant(r"26|positions|pixel|→", "conv_1's output side: a 3x3 window fits 26 times across 28 pixels"),
    "13": invariant(r"26 → 13|people|writers|13\b", "pool_1's output side, 26 halved; the writers of the UCI test "
                    "part", "people|writers"),
    "22": invariant(r"pixels|22\u00d722", "the side of the square of pixels the recipe's last layer depends on"),
    "1,000": invariant(r"test images|in 1,000", "MNIST's test images per digit, roughly; a 99.9% confidence's error "
                       "rate", "images"),
    "1": invariant(r"99\.9%|in 1,000", "fewer than 1 error in 1,000: what a confidence above 99.9% allows", "errors?"),
    "90": invariant(r"minutes?|class", "the length of the class the core path is planned for, in minutes", "minutes"),
    "15": invariant(r"minutes|spare|^\s*\|", "minutes planned per block in class, and to spare", "minutes"),
    "30": invariant(r"^\s*\|", "minutes planned for part 1's recipe block in class (the plan's table)"),
    # worked out in the primer's question: 54,000 training images in batches of 128, for 12 epochs
    "54,000": invariant(r"training images|imag|54,000", "the training split: 90% of MNIST's 60,000", "images"),
    "421.875": invariant(r"54,000 / 128", "54,000 / 128"),
    "422": invariant(r"steps|epoch", "steps per epoch at batch size 128", "steps"),
    "112": invariant(r"batch", "the last batch's images: 54,000 - 421 x 128", "images"),
    "512": invariant(r"values|Flatten|flatten", "what Flatten passes on for 32x32 inputs: the output-size Try it"),
    "5,064": invariant(r"epochs|steps", "steps in 12 epochs of 422", "steps"),
    "0.1": invariant(r"uniform|guess|probabilit", "a uniform guess's probability for each of ten digits"),
    "2.30": invariant(r"uniform|guess|ln 10", "ln 10, the cross-entropy of a uniform guess over ten digits"),
    "150": invariant(r"e⁵", "e⁵, 148.4, rounded: what a lead of 5 in the sums does to softmax's shares"),
    "99.9%": invariant(r"confidence|above", "the calibration's top bin edge, 0.999, in percent"),
    "9,000": invariant(r"test images|9,000", "a round number of test images, in the calibration question", "images"),
    "0.001": invariant(r"0\.001 \u00d7", "1 - 0.999, in the same question"),
    "240": invariant(r"240\u00d7120", "the canvas's message, in pixels: the browser half sends 240x120"),
    "120": invariant(r"240\u00d7120", "the same, its height"),
    "2025": invariant(r"such as 2025|reading 2025|2025 with the mouse",
                      "an example of a number to draw; the browser test draws it"),
    "71": invariant(r"71 by touch", "the number the browser test draws by touch"),
    # the out-of-MNIST check set (make_check_set)
    "1,797": invariant(r"digits|scans", "scikit-learn's digits (load_digits)", "digits"),
    "17": invariant(r"grey levels", "the grey levels of scikit-learn's digits (0 to 16)"),
    "600": invariant(r"drawings", "the drawings in the check set: 20 per digit, three ways of delivering them",
                     "drawings"),
    # the Python versions the project is run with, and the whole notebook's measured time
    "3.11": invariant(r"Python", "the Python version the project is tested with"),
    "3.13": invariant(r"Python|Colab", "Colab's Python version"),
    "2,000": invariant(r"in 2,000", "a floor's chance of failing an honest run: one side of benchmarks/"
                       "tolerance.py's 1 in 1,000", "runs"),
    "6": invariant(r"rows|columns|steps", "the rows and columns the recipe cannot see, 28 - 22; the preparation's "
                   "steps", "rows|steps"),
    "2": invariant(r"epochs", "the published recipe stopped after 2 epochs (its notebook's log)", "epochs",
                   subject="published"),
    "3": invariant(r"minutes a run", "an ablation run's time on 2 CPU cores, about (benchmarks/ABLATION.md)",
                   "minutes"),
    "5": invariant(r"minutes", "benchmark.py --quick's time budget; the class plan's longest training for part 2's "
                   "15-minute block (a rule of the plan)", "minutes"),
    "3.9": invariant(r"minutes", "the whole notebook's time on the 2-core machines measured "
                     "(benchmarks/NOTEBOOK-TIME.md): 3.9 to 6.5", "minutes"),
    "6.5": invariant(r"minutes", "the same, the upper end", "minutes"),
    "0.5": invariant(r"grades the range", "an edge of the ranges the scaling Try it grades by"),
    "1.3": invariant(r"appendices take", "the appendices' time after the summary in the three runs with Appendices J "
                     "and K (benchmarks/NOTEBOOK-TIME.md)", "minutes"),
}


def written(value, down):
    """A recorded value as prose may write it: a count, or a fraction or percentage, rounded or rounded outwards."""
    if isinstance(value, int):
        return {str(value), f"{value:,}"} | {word for word, digits in SPELLED.items() if digits == str(value)}
    outward = math.floor if down else math.ceil
    forms = {f"{round(value)}", f"{outward(value)}"} if value > 1 else set()  # seconds
    for decimals in (1, 2, 3, 4):
        scale = 10 ** decimals
        forms |= {f"{value:.{decimals}f}", f"{outward(value * scale) / scale:.{decimals}f}"}
    for decimals in (0, 1, 2):
        scale = 10 ** decimals
        forms |= {f"{100 * value:.{decimals}f}%", f"{outward(100 * value * scale) / scale:.{decimals}f}%"}
    return forms


# What a recorded figure is about: the words its sentence must hold, and the noun a count of it is followed by.
WHAT = {
    "test_accuracy": (r"test", ""), "test_errors": (r"errors|misclassif|mistakes|wrong|test images", COUNTED),
    "epochs": (r"epochs?|stopped", r"epochs?"), "seconds": (r"\bs\b|seconds|time", ""),
    "final_train_accuracy": (r"training", ""), "final_val_accuracy": (r"validation", ""),
    "first_val_accuracy": (r"validation|first epoch", ""), "sure_images": (r"confiden|0\.999|99\.9%", r"images"),
    "sure_wrong": (r"wrong|mistake", ""), "samples_right": (r"samples?", ""),
    "sample_lowest_probability": (r"probabilit|sample", ""),
}
CHECK_SET = {"check_set_check_set_all": r"check set", "check_set_scikit_learn_s_8x8_scans": r"scans|8\u00d78",
             "check_set_photographed_on_paper": r"photograph", "check_set_scanned": r"scanned",
             "check_set_drawing_app_export": r"drawing.app|export"}
# Recorded spans that prose may quote by one end: the worst sample reading ("0.982 or more") and the most
# confident images that were wrong ("at most 1"). Any other span is quoted as a range, both ends.
ONE_SIDED = {"sample_lowest_probability": "lowest", "sure_wrong": "highest"}


def span_facts(low_value, high_value, what, unit, subjects, source, one_end=None):
    low, high = written(low_value, down=True), written(high_value, down=False)
    if one_end:
        return [Fact(frozenset(low if one_end == "lowest" else high), what, unit, subjects, source=source)]
    if low_value == high_value:
        return [Fact(frozenset(written(low_value, down=True) | written(low_value, down=False)), what, unit, subjects,
                     source=source)]
    return [Fact(frozenset(low), what, unit, subjects, frozenset(high), source),
            Fact(frozenset(high), what, unit, subjects, frozenset(low), source)]


def facts():
    """Every fact prose may state: the invariants, and the benchmarks' records."""
    found = [Fact(frozenset({number}), what, unit, subjects, source=f"INVARIANTS: {reason}")
             for number, (what, unit, subjects, reason) in INVARIANTS.items()]
    for model in ("recipe", "strong"):
        record = json.loads((ROOT / "benchmarks" / f"seeds-{model}.json").read_text())
        summary, source, about = record["summary"], f"benchmarks/seeds-{model}.json", frozenset({model})
        found += [Fact(frozenset(written(summary["runs"], True)), r"runs?", r"runs?", about, source=source),
                  Fact(frozenset(written(summary["seeds"], True)), r"seeds?|runs?", r"seeds?|runs?", about,
                       source=source),
                  Fact(frozenset(written(summary["val_above_train"], True)), r"validation", r"runs?", about,
                       source=source),
                  Fact(frozenset({str(summary["floor"])}), r"floor", "", about, source=source)]
        for key, value in summary.items():
            if isinstance(value, dict):
                what, unit = (CHECK_SET[key], "") if key.startswith("check_set_") else WHAT[key]
                found += span_facts(value["lowest"], value["highest"], what, unit, about, f"{source}: {key}",
                                    ONE_SIDED.get(key))
    rows = {}
    for run in json.loads((ROOT / "benchmarks" / "ablation.json").read_text()):
        rows.setdefault(run["row"], []).append(run)
    timing = json.loads((ROOT / "benchmarks" / "ablation-timing.json").read_text())["seconds_per_epoch"]
    for row, runs in rows.items():
        if len(runs) < 3:  # single runs: prose may describe them, never quote them
            continue
        about = frozenset({ROWS[row]} | ({"strong"} if row == "+ handwriting (lowres=0.5+shift)" else set()))
        source = f"benchmarks/ablation.json: {row}"
        found.append(Fact(frozenset(written(len(runs), True)), r"runs?|seeds?", r"runs?|seeds?", source=source))
        if not row.startswith("+ batch norm"):
            found.append(Fact(frozenset({f"{runs[0]['parameters']:,}"}), r"parameters", "", about, source=source))
        for key in ["val_accuracy", *[key for key in runs[0] if key.startswith("check_set_")]]:
            values = [run[key] for run in runs]
            what = (r"validation" if key == "val_accuracy" else CHECK_SET[key]) + r"|^\s*\|"  # or a table's row
            mean = sum(values) / len(values)
            found.append(Fact(frozenset(written(mean, True) | written(mean, False)), what, "", about, source=source))
            found += span_facts(min(values), max(values), what, "", about, source)
        spread = timing.get(row)
        if spread:
            found.append(Fact(frozenset({f"{spread['median']:.1f}"}), r"per epoch|\|", "", about, source=source))
            found += span_facts(round(spread["lowest"], 1), round(spread["highest"], 1), r"per epoch|\|", "", about,
                                source)
    single = [row for row, runs in rows.items() if len(runs) == 1 and "rotate" in row]
    found.append(Fact(frozenset(written(len(single), True)), r"single runs", r"runs?",
                      source="benchmarks/ablation.json: the single runs with rotation"))
    unscaled = json.loads((ROOT / "benchmarks" / "unscaled.json").read_text())  # what raw pixels do to the recipe
    raw = [run["untrained_val_loss"] for run in unscaled["runs"] if run["pixels"] == "0 to 255"]
    found.append(Fact(frozenset({str(unscaled["steps"])}), r"steps", r"steps", source="benchmarks/unscaled.json"))
    found.append(Fact(frozenset({f"{min(raw):.1f}"}), r"loss", "", other_end=frozenset({f"{max(raw):.1f}"}),
                      source="benchmarks/unscaled.json"))
    found.append(Fact(frozenset({f"{max(raw):.1f}"}), r"loss", "", other_end=frozenset({f"{min(raw):.1f}"}),
                      source="benchmarks/unscaled.json"))
    found.append(Fact(frozenset(written(len({run["seed"] for run in unscaled["runs"]}), True)), r"seeds?",
                      r"seeds?", source="benchmarks/unscaled.json"))
    copy = json.loads((ROOT / "benchmarks" / "mnist-copy.json").read_text())  # the baseline's counts' tolerance
    moved = max(abs(count - copy[key]) for key in ("val_right", "test_right") for count in copy[f"perturbed_{key}"])
    found.append(Fact(frozenset({str(copy["tolerance"])}), r"baseline|within", r"images",
                      source="benchmarks/mnist-copy.json: tolerance"))
    found.append(Fact(frozenset(written(moved, True)), r"perturb", source="benchmarks/mnist-copy.json"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from tolerance import FALSE_FAILURE, STEPS  # the rule behind every bound

    checked = 2 * len(STEPS)  # figures per run: each model's
    found.append(Fact(frozenset(written(checked, True)), r"figures", source="benchmarks/tolerance.py: STEPS"))
    found.append(Fact(frozenset(written(len(STEPS), True)), r"figures per model", source="benchmarks/tolerance.py"))
    found.append(Fact(frozenset(written(checked * FALSE_FAILURE, False)), r"false failure",
                      source="benchmarks/tolerance.py: the union bound over every figure"))
    numbers = json.loads((ROOT / "benchmarks" / "number-reading.json").read_text())  # read_number, issue 22
    source, summary = "benchmarks/number-reading.json", numbers["summary"]
    total = summary["separated"][1] + summary["touching"][1]
    found.append(Fact(frozenset(written(total, True)), r"numbers", source=source))
    found.append(Fact(frozenset({"1", "6", "six"}), r"digits", source=f"{source}: 1 to 6 digits a number"))
    for key, what in (("separated", r"touch"), ("touching", r"touch")):
        found.append(Fact(frozenset(written(summary[key][0], True) | written(summary[key][0], False)), what,
                          source=f"{source}: {key}"))
    one_digit = summary["by_length"]["1"][0]
    found.append(Fact(frozenset(written(one_digit, True) | written(one_digit, False)), r"one digit",
                      source=f"{source}: numbers of one digit"))
    for key, what in (("mnist_test_accuracy", r"MNIST"), ("check_set_accuracy", r"check set")):
        found.append(Fact(frozenset(written(summary[key], True) | written(summary[key], False)), what,
                          source=f"{source}: {key}"))
    not_a_digit = json.loads((ROOT / "benchmarks" / "not-a-digit.json").read_text())  # the candidates, issue 22
    for row in not_a_digit["rows"]:
        for key in ("held_out_flagged", "check_set_flagged", "mnist_test_flagged", "choice_flagged"):
            found.append(Fact(frozenset(written(row[key], True) | written(row[key], False)), r"flagged|^\s*\|",
                              source=f"benchmarks/not-a-digit.json: {row['candidate']}, {key}"))
        found += [Fact(frozenset(written(value, True) | written(value, False)), r"flagged|^\s*\||" + kind,
                       source=f"benchmarks/not-a-digit.json: {row['candidate']}, {kind}")
                  for kind, value in row["held_out_by_kind"].items()]
    per_kind = {str(count // len(row_kinds)) for count in not_a_digit["sizes"]["non-digits for training"]
                for row_kinds in [not_a_digit["rows"][0]["held_out_by_kind"]]}
    found.append(Fact(frozenset(per_kind), r"per kind", source="benchmarks/not-a-digit.json: drawings per kind"))
    found.append(Fact(frozenset(written(not_a_digit["quantile"], True)), r"threshold|flagged",
                      source="benchmarks/not-a-digit.json: quantile"))
    found.append(Fact(frozenset(written(not_a_digit["sizes"]["held out"], True)), r"drawings|held.out",
                      r"drawings", source="benchmarks/not-a-digit.json: held out"))
    minutes = sum(json.loads((ROOT / "benchmarks" / f"seeds-{model}.json").read_text())["minutes"]
                  for model in ("recipe", "strong"))
    found.append(Fact(frozenset(written(minutes, True) | written(minutes, False)), r"spread|records", r"minutes",
                      source="benchmarks/seeds-*.json: minutes, both models"))
    return found


NUMBER = re.compile(r"(?<![\w.,-])\d[\d,]*(?:\.\d+)?%?(?![\w])|\b(?:" + "|".join(SPELLED) + r")\b", re.IGNORECASE)
COUNT = re.compile(r"\s+(?:of (?:the |those |these |its )?)?(?:(?:measured|recorded|single|more|test|training|"
                   r"validation|other|of the)\s+)?(" + COUNTED + r")\b")


def sentences(prose):
    """The sentences of a piece of Markdown, outside code and link targets: each line, split after . ? !"""
    prose = re.sub(r"```.*?```", " ", prose, flags=re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", " ", prose)
    prose = re.sub(r"\]\([^)]*\)", "]", prose)
    prose = re.sub(r"https?://\S+", " ", prose)
    prose = re.sub(r"(?m)^\s*\d+\. ", "- ", prose)  # numbered-list markers
    prose = re.sub(r"\n(?![ \t]*(?:[-*|#>]|\n))", " ", prose)  # a paragraph wrapped over lines is one text
    return [part for line in prose.splitlines() for part in re.split(r"(?<=[.?!])\s+(?=[A-Z*(\[])", line)
            if part.strip()]


def subject_of(sentence, position, end):
    """The model or ablation row a number describes: the one named right after it ("0.97 for the recipe",
    "0.97 (recipe)"), else the one named nearest before it in its sentence, else None."""
    after = re.match(r"\s*(?:\(|for (?:the )?|of the )", sentence[end:])
    if after:
        for subject, pattern in SUBJECTS.items():
            if re.match(pattern, sentence[end + after.end():], re.IGNORECASE):
                return subject
    mentions = [(match.end(), match.end() - match.start(), subject) for subject, pattern in SUBJECTS.items()
                for match in re.finditer(pattern, sentence[:position], re.IGNORECASE)]
    return max(mentions)[2] if mentions else None


def numbers_in(sentence):
    """(number as written, where it starts and ends, the noun it counts or "") for each number the guard checks."""
    found = []
    for match in NUMBER.finditer(sentence):
        text = match.group().rstrip(",.")
        count = COUNT.match(sentence, match.end())
        if text.lower() in SPELLED or re.fullmatch(r"\d", text):
            if not count:  # a digit's name, a layer, a step: not a count, not checked
                continue
        found.append((text.lower() if text.lower() in SPELLED else text, match.start(), match.end(),
                      count.group(1) if count else ""))
    return found


def explains(fact, number, position, end, noun, sentence, present, header=""):
    if number not in fact.forms and SPELLED.get(number) not in fact.forms:
        return False
    if fact.what and not re.search(fact.what, sentence + " " + header, re.IGNORECASE | re.MULTILINE):
        return False
    if noun and not (fact.unit and re.fullmatch(fact.unit, noun)):
        return False
    if fact.other_end and not fact.other_end & present:
        return False
    subject = subject_of(sentence, position, end)
    return not (fact.subjects and subject and subject not in fact.subjects)


def with_headers(prose):
    """Each sentence, and the words it is read with: a table's row is read with the table's header row."""
    header, found = "", []
    for sentence in sentences(prose):
        if not sentence.lstrip().startswith("|"):
            header = ""
        elif not header:
            header = sentence
        found.append((sentence, header))
    return found


def unexplained(prose, known=None):
    """The numbers of a piece of prose that no fact explains, each with its sentence."""
    known = facts() if known is None else known
    problems = []
    for sentence, header in with_headers(prose):
        numbers = numbers_in(sentence)
        present = {number for number, *_ in numbers}
        for number, position, end, noun in numbers:
            if not any(explains(fact, number, position, end, noun, sentence, present, header) for fact in known):
                problems.append((number, sentence.strip()))
    return problems


def markdown_cells():
    cells = json.loads((ROOT / "mnist_cnn.ipynb").read_text(encoding="utf-8"))["cells"]
    return [(index, "".join(cell["source"])) for index, cell in enumerate(cells) if cell["cell_type"] == "markdown"]


@pytest.fixture(scope="module")
def known():
    return facts()


@pytest.mark.parametrize("sentence", [
    # the four false sentences of issue 23, and its stale count
    "Dropout lifts the check set from 0.943 to 0.973.",
    "The recipe stopped after 3 epochs in every run.",
    "The stronger model misclassified between 154 and 226 test images.",
    "The recipe reaches 99.5% on the test set.",
    "Over the 12 measured runs, validation ended above training in 7 of those runs.",
    # more of the kind: a true number with the wrong subject, unit or words, and run-specific figures
    "The recipe misclassified 47 to 60 test images.",
    "The stronger model stopped after two epochs.",
    "The stronger model was trained with 6 seeds.",
    "Low resolution lifts the check set to 0.943.",
    "The recipe's floor is 0.9928.",
    "The floors are 0.9928 for the recipe and 0.97 for the stronger model.",
    "In this run the recipe makes 187 errors, 41 for the stronger one.",
    "It reaches 98.13% on the test set.",
    "The stronger model read 96.7% to 97.7% of the test set.",
])
def test_the_guard_rejects_false_sentences(known, sentence):
    assert unexplained(sentence, known), f"the guard let this through: {sentence}"


@pytest.mark.parametrize("sentence", [
    "Over the measured runs the stronger model misclassified 47 to 60 test images, the recipe 154 to 226.",
    "Over the 12 measured runs the recipe stopped after two epochs every time.",
    "The recipe's validation accuracy ended above its training accuracy in 9 of its 12 runs.",
    "Shifts lift the check set to 0.956, from dropout's 0.943.",
    "The floors are 0.97 for the recipe and 0.9928 for the stronger model.",
    "Digit 7 is read as 2; see `train[:90%]` and [here](https://x.org/a1998).",
])
def test_the_guard_accepts_true_sentences(known, sentence):
    assert not unexplained(sentence, known)


def test_the_benchmark_records_exist():
    assert sorted(path.name for path in (ROOT / "benchmarks").glob("seeds-*.json")) == [
        "seeds-recipe.json", "seeds-strong.json"]


def test_the_notebooks_ablation_table_is_made_from_the_records():
    """Appendix D's ablation table is what `python benchmarks/ablation.py --notebook-table` prints, line for line."""
    from ablation import notebook_table

    table = [line for _, source in markdown_cells() for line in source.splitlines()
             if line.startswith("| change | MNIST validation")]
    assert len(table) == 1, "Appendix D shows the ablation's table once"
    source = next(source for _, source in markdown_cells() if table[0] in source).splitlines()
    start = source.index(table[0])
    shown = source[start:start + next((i for i, line in enumerate(source[start:]) if not line.startswith("|")),
                                      len(source) - start)]
    assert shown == notebook_table(), "run `python benchmarks/ablation.py --notebook-table` and paste its table"


def test_markdown_states_only_facts(known):
    problems = {index: found for index, source in markdown_cells() if (found := unexplained(source, known))}
    assert not problems, (
        f"markdown cells (by index) state numbers that no fact explains: {problems}. Print a run's figures from code "
        "(a line beginning 'In this run'), quote a recorded range with the words and the model it describes, or, if "
        "a number cannot change, add it to INVARIANTS in tests/test_prose.py with its words and the reason.")


def test_readme_states_only_facts(known):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    problems = unexplained(readme, known)
    assert not problems, f"README.md states numbers that no fact explains: {problems}"
