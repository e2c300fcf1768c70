"""What raw pixels (0 to 255, as the published recipe trains on) do to the recipe's training, against
pixels scaled to [0, 1] (the notebook's `normalize_image`). The evidence behind the notebook's
sentences after "Compare with the published recipe".

Run from the repository root (about 2 minutes on 2 CPU cores):

    python benchmarks/unscaled_pixels.py --seeds 42 1 2 3 4

For each seed and each kind of pixel: the untrained recipe's validation loss, the loss of its first
training batch, and its validation loss and accuracy after 100 training steps (batches of 32,
RMSprop, the notebook's `build_recipe_model`), from a freshly seeded state.

Writes benchmarks/UNSCALED.md and benchmarks/unscaled.json.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seeds import ROOT, cpu_model

STEPS = 100


def measure(nb, train_raw, val_raw, seed, scaled):
    tf, keras = nb["tf"], nb["keras"]
    convert = nb["normalize_image"] if scaled else (lambda image, label: (tf.cast(image, tf.float32), label))
    val_ds = val_raw.map(convert).batch(128).cache()
    keras.utils.set_random_seed(seed)
    train_ds = train_raw.map(convert).cache().shuffle(len(train_raw), seed=seed).batch(32).repeat()
    model = nb["build_recipe_model"]()
    untrained_loss, _ = model.evaluate(val_ds, verbose=0)
    losses = []

    class FirstLosses(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["loss"]))

    model.fit(train_ds, steps_per_epoch=STEPS, epochs=1, verbose=0, callbacks=[FirstLosses()])
    loss, accuracy = model.evaluate(val_ds, verbose=0)
    return {"seed": seed, "pixels": "0 to 1" if scaled else "0 to 255", "untrained_val_loss": round(untrained_loss, 4),
            "first_batch_loss": round(losses[0], 4), f"val_loss_after_{STEPS}_steps": round(loss, 4),
            f"val_accuracy_after_{STEPS}_steps": round(accuracy, 4)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from notebook_code import load_notebook_code

    nb = load_notebook_code(tags=("setup", "parameters", "helpers"))
    nb["tf"].config.experimental.enable_op_determinism()
    (train_raw, val_raw), _ = nb["load_mnist"](["train[:90%]", "train[90%:]"])
    runs = []
    for seed in args.seeds:
        for scaled in (True, False):
            runs.append(measure(nb, train_raw, val_raw, seed, scaled))
            print(json.dumps(runs[-1]), flush=True)
    record = {"command": "python benchmarks/unscaled_pixels.py --seeds " + " ".join(map(str, args.seeds)),
              "machine": f"{cpu_model()}, {os.cpu_count()} CPUs", "steps": STEPS, "runs": runs}
    (ROOT / "benchmarks" / "unscaled.json").write_text(json.dumps(record, indent=1) + "\n")
    columns = list(runs[0])
    lines = ["# Raw pixels against scaled pixels, for the recipe", "",
             __doc__.split("\n\n")[0].replace("\n", " "), "",
             f"Written by `{record['command']}` on {record['machine']}.", "",
             "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(run[column]) for column in columns) + " |" for run in runs]
    raw = [run for run in runs if run["pixels"] == "0 to 255"]
    accuracy = f"val_accuracy_after_{STEPS}_steps"
    raw_ahead = sum(run[accuracy] > scaled[accuracy] for run, scaled in zip(raw, runs[::2]))
    lines += ["", f"Untrained, on raw pixels: validation loss {min(r['untrained_val_loss'] for r in raw):.1f} to "
              f"{max(r['untrained_val_loss'] for r in raw):.1f} (ln 10 = 2.30 is a uniform guess). After {STEPS} "
              f"steps, raw pixels were ahead in validation accuracy for {raw_ahead} of {len(raw)} seeds."]
    (ROOT / "benchmarks" / "UNSCALED.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
