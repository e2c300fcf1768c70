"""What convolution buys: the recipe CNN against a dense network of about the same size, over seeds
and numeric settings. The evidence behind what the notebook's section "What convolution buys" says
and asserts.

Run from the repository root (on 2 CPU cores: about 1 minute per seed and setting, 12 to 15 minutes
in all):

    python benchmarks/convolution.py --seeds 42 1 2 3 4 5

Each run calls the notebook's own `train_recipe`, then `train_dense` for as many epochs as the
recipe trained, with the notebook's parameters, from a freshly seeded state; then
`accuracy_when_shifted` reads the validation digits moved sideways by -6 to 6 pixels (negative: left) with both models.
Each numeric setting (as in benchmarks/seeds.py) runs in a Python process of its own.

Writes benchmarks/CONVOLUTION.md (for readers) and benchmarks/convolution.json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seeds import NUMERIC_SETTINGS, ROOT, cpu_model


def worker(seeds):
    """Train both models once per seed in this process; print one JSON line per run."""
    sys.path.insert(0, str(ROOT / "tests"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from notebook_code import load_notebook_code

    nb = load_notebook_code(tags=("setup", "parameters", "helpers"))
    nb["tf"].config.experimental.enable_op_determinism()
    keep = 100 - nb["VALIDATION_PERCENT"]
    (train_raw, val_raw), _ = nb["load_mnist"]([f"train[:{keep}%]", f"train[{keep}%:]"])
    val_ds = nb["make_evaluation_pipeline"](val_raw, nb["BATCH_SIZE"])
    val_images, val_labels = nb["to_numpy"](val_raw)
    shifts = list(nb["SHIFTS"])
    for seed in seeds:
        recipe = nb["train_recipe"](train_raw, val_ds, seed, nb["RECIPE_BATCH_SIZE"], nb["ACCURACY_THRESHOLD"],
                                    nb["MAX_EPOCHS"], verbose=0)
        epochs = len(recipe.history.epoch)
        dense = nb["train_dense"](train_raw, val_ds, seed, nb["RECIPE_BATCH_SIZE"], epochs, verbose=0)
        print("RUN " + json.dumps({
            "seed": seed, "epochs": epochs,
            "seconds": {"recipe": round(recipe.seconds, 1), "dense": round(dense.seconds, 1)},
            "parameters": {"recipe": recipe.model.count_params(), "dense": dense.model.count_params()},
            "shifts": shifts,
            "recipe": nb["accuracy_when_shifted"](recipe.model, val_images, val_labels, shifts),
            "dense": nb["accuracy_when_shifted"](dense.model, val_images, val_labels, shifts),
        }), flush=True)


def run_setting(seeds, setting):
    command = [sys.executable, __file__, "--seeds", *map(str, seeds), "--worker"]
    runs = []
    with subprocess.Popen(command, env={**os.environ, **NUMERIC_SETTINGS[setting]}, stdout=subprocess.PIPE,
                          text=True) as process:
        for line in process.stdout:
            if line.startswith("RUN "):
                run = {"numeric": setting, **json.loads(line[4:])}
                runs.append(run)
                centred = run["shifts"].index(0)
                print(f"  seed {run['seed']}, {setting}: validation accuracy recipe {run['recipe'][centred]:.4f}, "
                      f"dense {run['dense'][centred]:.4f} (unshifted)", flush=True)
    if process.returncode:
        raise SystemExit(f"the {setting} worker failed with exit code {process.returncode}")
    return runs


def summarise(runs):
    shifts = runs[0]["shifts"]
    per_shift = []
    for index, pixels in enumerate(shifts):
        leads = [run["recipe"][index] - run["dense"][index] for run in runs]
        per_shift.append({
            "shift": pixels,
            "recipe": {"lowest": min(run["recipe"][index] for run in runs),
                       "highest": max(run["recipe"][index] for run in runs)},
            "dense": {"lowest": min(run["dense"][index] for run in runs),
                      "highest": max(run["dense"][index] for run in runs)},
            "lead": {"lowest": min(leads), "highest": max(leads)},
            "cnn_ahead": sum(lead > 0 for lead in leads),
        })
    return {"runs": len(runs), "per_shift": per_shift}


def markdown(record):
    summary = record["summary"]
    lines = [
        "# What convolution buys: the recipe CNN against a dense network", "",
        f"Written by `{record['command']}` on {record['machine']}; Python {record['python']}, "
        f"TensorFlow {record['tensorflow']}, Keras {record['keras']}, in {record['minutes']} minutes. "
        "Each run trains the notebook's recipe (`train_recipe`), then the notebook's dense network "
        "(`train_dense`: Flatten, 128 ReLU units, softmax) for as many epochs, with the same pipeline, "
        "optimizer and batch size, from a freshly seeded state; then both read the validation digits "
        "moved sideways by each shift (`accuracy_when_shifted`). Numeric settings as in "
        "[SEEDS-recipe.md](SEEDS-recipe.md).", "",
        "Validation accuracy by shift, in pixels (negative: left; recipe CNN / dense):", "",
        "| seed | numeric setting | epochs | " + " | ".join(f"{s} px" for s in record["runs"][0]["shifts"]) + " |",
        "| ---: | --- | ---: |" + " ---: |" * len(record["runs"][0]["shifts"]),
    ]
    for run in record["runs"]:
        cells = [f"{r:.4f} / {d:.4f}" for r, d in zip(run["recipe"], run["dense"])]
        lines.append(f"| {run['seed']} | {run['numeric']} | {run['epochs']} | " + " | ".join(cells) + " |")
    lines += ["", f"Over {summary['runs']} runs:", "",
              "| shift | recipe CNN | dense | CNN's lead (points of accuracy) | runs with the CNN ahead |",
              "| ---: | --- | --- | --- | ---: |"]
    for row in summary["per_shift"]:
        lines.append(f"| {row['shift']} px | {row['recipe']['lowest']:.4f} to {row['recipe']['highest']:.4f} | "
                     f"{row['dense']['lowest']:.4f} to {row['dense']['highest']:.4f} | "
                     f"{100 * row['lead']['lowest']:+.1f} to {100 * row['lead']['highest']:+.1f} | "
                     f"{row['cnn_ahead']} of {summary['runs']} |")
    seconds = {model: [run["seconds"][model] for run in record["runs"] if run["numeric"] == "default"]
               for model in ("recipe", "dense")}
    lines += ["", "Training time with the default setting: recipe "
              f"{min(seconds['recipe']):.0f} to {max(seconds['recipe']):.0f} s, dense "
              f"{min(seconds['dense']):.0f} to {max(seconds['dense']):.0f} s.",
              f"Parameters: recipe {record['runs'][0]['parameters']['recipe']:,}, "
              f"dense {record['runs'][0]['parameters']['dense']:,}."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.seeds)
        return
    started = time.perf_counter()
    runs = [run for setting in NUMERIC_SETTINGS for run in run_setting(args.seeds, setting)]
    import keras
    import tensorflow as tf  # only for its version; the runs happened in the workers

    record = {
        "command": f"python benchmarks/convolution.py --seeds {' '.join(map(str, args.seeds))}",
        "machine": f"{cpu_model()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
        "numeric_settings": NUMERIC_SETTINGS, "runs": runs,
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    record["summary"] = summarise(runs)
    (ROOT / "benchmarks" / "convolution.json").write_text(json.dumps(record, indent=1) + "\n")
    report = markdown(record)
    (ROOT / "benchmarks" / "CONVOLUTION.md").write_text(report)
    print("\n" + report)


if __name__ == "__main__":
    main()
