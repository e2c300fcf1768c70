"""How much the notebook's results vary: each model trained over several seeds, each seed under two
numeric settings. The evidence behind the floors the notebook asserts and the ranges its prose quotes.

Run from the repository root (each record's `minutes` says how long its command took: 9.0 for the recipe's
12 runs and 30.7 for the stronger model's 10, on the 2-CPU Intel Xeon that made them):

    python benchmarks/seeds.py --model recipe --seeds 42 1 2 3 4 5
    python benchmarks/seeds.py --model strong --seeds 42 1 2 3 4
    python benchmarks/seeds.py --model strong --summarise-only   # after a change to the summary code

With --keep-models FOLDER each trained model is saved; after a change to preprocessing or to what is
measured, --reevaluate FOLDER measures those same models again (minutes, not an hour) and updates the
evaluation figures of the record, after checking that each model gives its recorded test accuracy and loss.

Results differ between processors because they add up floating-point numbers in another order.
Two numeric settings reproduce that on one machine: TensorFlow's defaults, and
TF_ENABLE_ONEDNN_OPTS=0 with ONEDNN_MAX_CPU_ISA=AVX2 (Eigen kernels, oneDNN limited to AVX2, as on
an older CPU). TensorFlow reads both variables when it starts, so each setting runs in a Python
process of its own. Every run calls the notebook's own `train_recipe` or `train_strong` with the
notebook's parameters, from a freshly seeded state. The rows were made on the records' `machine`; a run of
the notebook on another processor (its setup cell prints which) is one more draw, which
benchmarks/tolerance.py's bounds are made for.

Writes benchmarks/SEEDS-<model>.md (for readers) and benchmarks/seeds-<model>.json (read by the
tests, which check the notebook's floors and prose against it).
"""

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMERIC_SETTINGS = {
    "default": {},
    "eigen-avx2": {"TF_ENABLE_ONEDNN_OPTS": "0", "ONEDNN_MAX_CPU_ISA": "AVX2"},
}
# The parameters each model's training depends on; the notebook enforces a floor only for these values.
SETTINGS = {
    "recipe": ["VALIDATION_PERCENT", "RECIPE_BATCH_SIZE", "ACCURACY_THRESHOLD", "MAX_EPOCHS"],
    "strong": ["VALIDATION_PERCENT", "BATCH_SIZE", "STRONG_EPOCHS", "PEAK_LEARNING_RATE", "AUGMENTATION",
               "DROPOUT_RATE"],
}
FLOOR_RULE = ("the lower end of the runs' prediction interval (benchmarks/tolerance.py: a chance of 1 in 1,000 "
              "that an honest run falls outside it, either side), rounded down to a whole test image")


def floor_from(accuracies):
    """The floor the notebook asserts, by FLOOR_RULE."""
    from tolerance import STEPS, TEST, bounds

    return math.floor(bounds(accuracies, STEPS["test_accuracy"])[0] * TEST) / TEST


# --- one numeric setting, in its own process -------------------------------------------------

def check_set_key(source):
    """The record's key for a check-set source: "check_set_photographed_on_paper"."""
    return "check_set_" + re.sub(r"[^a-z0-9]+", "_", source.lower()).strip("_")


def check_set_label(key):
    """The source's name again, for the report: "check_set_scikit_learn_s_8x8_scans" -> "scikit-learn's 8x8 scans"."""
    label = key.removeprefix("check_set_").replace("_", " ")
    return {"check set all": "all the check set", "scikit learn s 8x8 scans": "scikit-learn's 8x8 scans",
            "drawing app export": "drawing-app export"}.get(label, label)


def evaluation_data(nb):
    """What every model is measured on: the test split, part 3's four samples and the out-of-MNIST check set."""
    (test_raw,), _ = nb["load_mnist"](["test"])
    test_images, test_labels = nb["to_numpy"](test_raw)
    return {"test_ds": nb["make_evaluation_pipeline"](test_raw, nb["BATCH_SIZE"]), "test_labels": test_labels,
            "samples": nb["make_sample_images"](tempfile.mkdtemp(), test_images[8], test_labels[8], nb["SEED"]),
            "check_set": nb["prepare_check_set"](nb["make_check_set"](drawings_per_digit=20, seed=nb["SEED"]))}


def evaluate(nb, model, data):
    """The evaluation fields of one run (the same, whether the model was just trained or reloaded)."""
    loss, accuracy = model.evaluate(data["test_ds"], verbose=0)
    probabilities = model.predict(data["test_ds"], verbose=0)
    predictions, labels = probabilities.argmax(axis=1), data["test_labels"]
    very_sure = probabilities.max(axis=1) > 0.999
    readings = [nb["predict_digit"](model, path) for path in data["samples"]]
    outside = nb["check_set_accuracy"](model, data["check_set"])
    return {
        "test_accuracy": accuracy, "test_loss": loss, "test_errors": int((predictions != labels).sum()),
        "sure_images": int(very_sure.sum()), "sure_wrong": int((predictions[very_sure] != labels[very_sure]).sum()),
        "samples_right": sum(r.digit == digit for r, digit in zip(readings, data["samples"].values())),
        "sample_lowest_probability": min(r.probability for r in readings),
        **{check_set_key(source): float(value) for source, value in outside.items()},
    }


def load_notebook():
    sys.path.insert(0, str(ROOT / "tests"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from notebook_code import load_notebook_code

    nb = load_notebook_code(tags=("setup", "parameters", "helpers"))
    nb["tf"].config.experimental.enable_op_determinism()
    return nb


def model_path(folder, model_name, seed):
    setting = "default" if "TF_ENABLE_ONEDNN_OPTS" not in os.environ else "eigen-avx2"
    return Path(folder) / f"{model_name}-seed{seed}-{setting}.keras"


def worker(model_name, seeds, keep_models=None):
    """Train `model_name` once per seed in this process; print one JSON line per run."""
    nb = load_notebook()
    keep = 100 - nb["VALIDATION_PERCENT"]
    (train_raw, val_raw), _ = nb["load_mnist"]([f"train[:{keep}%]", f"train[{keep}%:]"])
    val_ds = nb["make_evaluation_pipeline"](val_raw, nb["BATCH_SIZE"])
    data = evaluation_data(nb)
    for seed in seeds:
        if model_name == "recipe":
            run = nb["train_recipe"](train_raw, val_ds, seed, nb["RECIPE_BATCH_SIZE"], nb["ACCURACY_THRESHOLD"],
                                     nb["MAX_EPOCHS"], verbose=0)
        else:
            run = nb["train_strong"](train_raw, val_ds, seed, nb["BATCH_SIZE"], nb["STRONG_EPOCHS"],
                                     nb["PEAK_LEARNING_RATE"], nb["AUGMENTATION"], nb["DROPOUT_RATE"], verbose=0)
        if keep_models:  # to measure more on these very models later, without training them again
            run.model.save(model_path(keep_models, model_name, seed))
        history = run.history.history
        print("RUN " + json.dumps({
            "seed": seed, "epochs": len(run.history.epoch), "seconds": round(run.seconds, 1),
            "final_train_accuracy": history["accuracy"][-1], "final_val_accuracy": history["val_accuracy"][-1],
            "first_val_accuracy": history["val_accuracy"][0], **evaluate(nb, run.model, data),
            "settings": {name: nb[name] for name in SETTINGS[model_name]},
        }), flush=True)


def reevaluation_worker(model_name, seeds, folder):
    """Measure kept models again (after a change to preprocessing or to what is measured); one JSON line each."""
    nb = load_notebook()
    data = evaluation_data(nb)
    for seed in seeds:
        model = nb["keras"].models.load_model(model_path(folder, model_name, seed))
        print("RUN " + json.dumps({"seed": seed, **evaluate(nb, model, data)}), flush=True)


# --- all settings: run the workers, summarise, write the record ------------------------------

def run_setting(model_name, seeds, setting, keep_models=None, reevaluate=None):
    command = [sys.executable, __file__, "--model", model_name, "--seeds", *map(str, seeds), "--worker"]
    if keep_models:
        command += ["--keep-models", str(keep_models)]
    if reevaluate:
        command += ["--reevaluate", str(reevaluate)]
    env = {**os.environ, **NUMERIC_SETTINGS[setting]}
    runs = []
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            if line.startswith("RUN "):
                run = {"numeric": setting, **json.loads(line[4:])}
                runs.append(run)
                print(f"  {model_name} seed {run['seed']}, {setting}: test accuracy {run['test_accuracy']:.4f}"
                      + (f", {run['epochs']} epochs, {run['seconds']:.0f} s" if "seconds" in run else ""), flush=True)
    if process.returncode:
        raise SystemExit(f"the {setting} worker failed with exit code {process.returncode}")
    return runs


def summarise(runs):
    accuracies = [run["test_accuracy"] for run in runs]

    def span(key, subset=runs):
        values = [run[key] for run in subset]
        return {"lowest": min(values), "highest": max(values)}

    return {
        "runs": len(runs), "seeds": len({run["seed"] for run in runs}),
        "mean": statistics.mean(accuracies), "stdev": statistics.stdev(accuracies),
        "test_accuracy": span("test_accuracy"), "floor": floor_from(accuracies), "floor_rule": FLOOR_RULE,
        "val_above_train": sum(run["final_val_accuracy"] > run["final_train_accuracy"] for run in runs),
        # training time with TensorFlow's default kernels: the other setting is a probe of numerics, not of speed
        "seconds": span("seconds", [run for run in runs if run["numeric"] == "default"]),
        **{key: span(key) for key in ["test_errors", "epochs", "final_train_accuracy",
                                      "final_val_accuracy", "first_val_accuracy", "sure_images", "sure_wrong",
                                      "samples_right", "sample_lowest_probability"]},
        **{key: span(key) for key in runs[0] if key.startswith("check_set_") and all(key in run for run in runs)},
    }


def markdown(record):
    summary = record["summary"]
    lines = [f"# Test accuracy of the {record['model']} model over seeds and numeric settings", "",
             f"Written by `{record['command']}` on {record['machine']}; "
             f"Python {record['python']}, TensorFlow {record['tensorflow']}, Keras {record['keras']}. "
             "Each run is the notebook's own training function with the notebook's parameters "
             f"({', '.join(f'{name} = {value}' for name, value in record['settings'].items())}), "
             "from a freshly seeded state. Numeric settings: `default` is TensorFlow's; `eigen-avx2` is "
             "`TF_ENABLE_ONEDNN_OPTS=0 ONEDNN_MAX_CPU_ISA=AVX2`, which changes the order of floating-point "
             "sums as another processor would.", "",
             "| seed | numeric setting | epochs | training time | test accuracy | test loss | test errors |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {run['seed']} | {run['numeric']} | {run['epochs']} | {run['seconds']:.0f} s | "
              f"{run['test_accuracy']:.4f} | {run['test_loss']:.4f} | {run['test_errors']} |"
              for run in record["runs"]]
    accuracy = summary["test_accuracy"]
    lines += ["", f"{summary['runs']} runs: test accuracy from {accuracy['lowest']:.4f} to {accuracy['highest']:.4f}, "
              f"mean {summary['mean']:.4f}, standard deviation {summary['stdev']:.4f}.", "",
              f"**Floor asserted by the notebook: {summary['floor']}**, {FLOOR_RULE}. "
              f"It sits {(summary['mean'] - summary['floor']) / summary['stdev']:.1f} standard deviations below "
              "the mean: a fresh run on another machine is one more draw from the same spread, so it falls below "
              "the floor only by very bad luck, while a real fault (a broken pipeline, shuffled labels) falls far "
              "below. `python benchmarks/tolerance.py` prints the bounds of every other figure by the same rule.", ""]
    lines.append(f"- runs whose last validation accuracy is above their last training accuracy: "
                 f"{summary['val_above_train']} of {summary['runs']}")
    lines.append(f"- training time with the default setting: {summary['seconds']['lowest']:.0f} to "
                 f"{summary['seconds']['highest']:.0f} s (the eigen-avx2 setting is slower; it probes numerics, "
                 "not speed)")
    for key, label in [("epochs", "epochs trained"), ("final_train_accuracy", "final training accuracy"),
                       ("final_val_accuracy", "final validation accuracy"),
                       ("first_val_accuracy", "validation accuracy after the first epoch"),
                       ("test_errors", "test errors (of 10,000)"),
                       ("sure_images", "test images with confidence above 0.999"),
                       ("sure_wrong", "of those, wrong"),
                       ("samples_right", "part 3's four sample images read correctly"),
                       ("sample_lowest_probability", "lowest probability among the sample readings")]:
        span = summary[key]
        number = "{:.4f}" if isinstance(span["lowest"], float) else "{}"
        lines.append(f"- {label}: {number.format(span['lowest'])} to {number.format(span['highest'])}")
    check_keys = [key for key in summary if key.startswith("check_set_")]
    if check_keys:
        lines += ["", "Share read correctly of the notebook's out-of-MNIST check set (`make_check_set`: scikit-learn's "
                  "1,797 scans, and 20 drawings per digit for each of the other sources, made from the notebook's "
                  "seed), lowest to highest over the runs:", ""]
        lines += [f"- {check_set_label(key)}: {summary[key]['lowest']:.4f} to {summary[key]['highest']:.4f}"
                  for key in check_keys]
    if "reevaluated" in record:
        lines += ["", f"Evaluation figures (test set, samples, check set) measured again on the same models by "
                  f"`{record['reevaluated']['command']}`, after a change to what is measured; training figures "
                  "(epochs, time, training and validation accuracy) are those of the run above. Each reloaded model "
                  "gave the recorded test accuracy and loss to the last digit."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(SETTINGS), required=True)
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--keep-models", metavar="FOLDER",
                        help="save each trained model there (as <model>-seed<seed>-<setting>.keras)")
    parser.add_argument("--reevaluate", metavar="FOLDER",
                        help="train nothing: measure the models kept in FOLDER by an earlier run with --keep-models "
                             "again, and update the evaluation figures of the recorded runs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--summarise-only", action="store_true",
                        help="train nothing: derive the summary and the Markdown again from the recorded runs")
    args = parser.parse_args()
    if args.worker:
        if args.reevaluate:
            reevaluation_worker(args.model, args.seeds, args.reevaluate)
        else:
            worker(args.model, args.seeds, args.keep_models)
        return
    if args.reevaluate:
        reevaluate(args.model, args.reevaluate)
        return
    if args.summarise_only:
        write(json.loads((ROOT / "benchmarks" / f"seeds-{args.model}.json").read_text()))
        return
    if not args.seeds:
        parser.error("give the seeds to train with: --seeds 42 1 2 3 4")
    if len(args.seeds) * len(NUMERIC_SETTINGS) < 10:
        parser.error("a floor needs at least 10 runs: give at least 5 seeds")
    started = time.perf_counter()
    if args.keep_models:
        Path(args.keep_models).mkdir(parents=True, exist_ok=True)
    runs = [run for setting in NUMERIC_SETTINGS
            for run in run_setting(args.model, args.seeds, setting, args.keep_models)]
    settings = {json.dumps(run.pop("settings"), sort_keys=True) for run in runs}
    assert len(settings) == 1, f"the runs used different parameters: {settings}"
    import keras
    import tensorflow as tf  # only for its version; the runs happened in the workers

    record = {
        "model": args.model,
        "command": f"python benchmarks/seeds.py --model {args.model} --seeds {' '.join(map(str, args.seeds))}",
        "machine": f"{cpu_model()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
        "numeric_settings": NUMERIC_SETTINGS, "settings": json.loads(settings.pop()),
        "runs": runs, "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    write(record)


def reevaluate(model_name, folder):
    """Measure the kept models again and put the new evaluation fields into the recorded runs."""
    record = json.loads((ROOT / "benchmarks" / f"seeds-{model_name}.json").read_text())
    seeds = sorted({run["seed"] for run in record["runs"]}, key=[run["seed"] for run in record["runs"]].index)
    measured = {(run["numeric"], run["seed"]): run
                for setting in NUMERIC_SETTINGS for run in run_setting(model_name, seeds, setting, reevaluate=folder)}
    for run in record["runs"]:
        new = measured[(run["numeric"], run["seed"])]
        if (new["test_accuracy"], new["test_loss"]) != (run["test_accuracy"], run["test_loss"]):
            raise SystemExit(f"the kept model for seed {run['seed']}, {run['numeric']}, is not the recorded one: "
                             f"test accuracy {new['test_accuracy']} and loss {new['test_loss']}, recorded "
                             f"{run['test_accuracy']} and {run['test_loss']}")
        run.update({key: value for key, value in new.items() if key not in ("seed", "numeric")})
    record["reevaluated"] = {"command": f"python benchmarks/seeds.py --model {model_name} --reevaluate FOLDER",
                             "date": time.strftime("%Y-%m-%d")}
    write(record)


def write(record):
    """Summarise the runs, then write the JSON record and the Markdown report."""
    record["summary"] = summarise(record["runs"])
    (ROOT / "benchmarks" / f"seeds-{record['model']}.json").write_text(json.dumps(record, indent=1) + "\n")
    report = markdown(record)
    (ROOT / "benchmarks" / f"SEEDS-{record['model']}.md").write_text(report)
    print("\n" + report)


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
