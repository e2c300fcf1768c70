"""What each of part 2's changes buys: an ablation from the recipe to the stronger model (issue 9).

Every row trains with part 2's schedule (batch 128, Adam with one epoch of warm-up and cosine decay to the same
peak learning rate; the notebook's STRONG_EPOCHS), from a freshly seeded state. The rows on
the path add one change each to the row above:

    control            the recipe's network (3 conv/pool stages, two hidden dense layers)
    + wide head        no third pooling and no hidden dense layers: the classifier reads the 5x5 map
    + dropout          dropout before the classifier (the notebook's DROPOUT_RATE)
    + shifts           random shifts of up to 2 pixels (the notebook's max_shift_pixels)
    + handwriting      the augmentation given by --handwriting (benchmarks/augmentation.py's names); with the
                       default, half the images at low resolution, this row is the notebook's stronger model

Rows off the path were tried and not kept:

    + batch norm            after "+ wide head": batch normalisation after each convolution (no bias then)
    + batch norm, dropout   the same with dropout
    + 18 epochs             after "+ handwriting": the stronger model trained for 18 epochs instead of 12
    + two more convolutions after "+ handwriting": a second convolution in the second stage (64 filters, before
                            its pooling) and in the third (128, padding "same"); its 10-run record is
                            benchmarks/not-kept/SEEDS-strong-two-more-convolutions.md
    + elastic distortion    after "+ handwriting": every image also distorted elastically (augmentation.py's
                            "elastic", each pixel moved by a smooth random field, by about 1 pixel)

Each row is measured on MNIST's validation split and on the notebook's out-of-MNIST check set, and timed;
the test split plays no part. Default numeric setting only; 3 or more seeds per row. No row uses weight decay
(part 2 dropped it: Keras scales AdamW's decay by the learning rate, so the value it had did next to nothing).

    python benchmarks/ablation.py --seeds 42 1 2            # 10 rows x 3 seeds x 3 to 5 min
    python benchmarks/ablation.py --timing                  # every row's train step, timed in one process
    python benchmarks/ablation.py --report                  # the table so far
    python benchmarks/ablation.py --notebook-table          # the table as the notebook's part 2 shows it

Each run is appended to benchmarks/ablation.json as soon as it ends; a row and seed recorded already is skipped.
The control, "+ wide head" and the batch-norm rows were recorded with AdamW at weight decay 0 (hence their
"weight_decay" field), which computes exactly what Adam does: Keras's decay step subtracts weight x 0 x rate.
Rows labelled "+ handwriting (...)" other than the default are single runs of the search for the augmentation.
Every row trains as the records were made (benchmarks/augmentation.py's `train_and_measure`): `fit` on the
training pipeline without `.repeat()`, so Keras starts it anew each epoch. The notebook's `train_strong` keeps
one pipeline (`.repeat()`), which sees the epochs in another order from the second on; the bold row is the
notebook's model and settings, not its run.
"""

import argparse
import json
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from augmentation import append_run, augmentation_layers, table, train_and_measure, training_data, write_report
from seeds import cpu_model, load_notebook

RECORD = Path(__file__).resolve().parent / "ablation.json"
TIMING = Path(__file__).resolve().parent / "ablation-timing.json"
PATH = ["control", "+ wide head", "+ dropout", "+ shifts", "+ handwriting"]
OFF_PATH = {"+ batch norm": ["+ wide head", "batch norm"],
            "+ batch norm, dropout": ["+ wide head", "batch norm", "+ dropout"],
            "+ 18 epochs": ["+ handwriting", "18 epochs"],
            "+ two more convolutions": ["+ handwriting", "two more convolutions"],
            "+ elastic distortion": ["+ handwriting", "elastic distortion"]}
LONGER_EPOCHS = 18
ELASTIC = "elastic=1.0"  # the "+ elastic distortion" row's: a standard deviation of 1 pixel along each axis
# The notebook's names for the rows of its table (part 2, "What each change buys"), in its order; the rows of
# a single run (the search for the augmentation) are left out there.
NOTEBOOK_ROWS = {
    "control": "control: the recipe's network, part 2's schedule",
    "+ wide head": "+ wide head",
    "+ dropout": "+ dropout",
    "+ shifts": "+ shifts",
    "+ handwriting (lowres=0.5+shift)": "+ low resolution: **the stronger model**",
    "+ 18 epochs (lowres=0.5+shift)": "*not kept:* the stronger model, 18 epochs instead of 12",
    "+ two more convolutions (lowres=0.5+shift)": "*not kept:* the stronger model, two more convolutions",
    "+ elastic distortion (elastic=1.0+lowres=0.5+shift)": "*not kept:* the stronger model, with elastic distortion",
    "+ batch norm": "*not kept:* + batch norm, after the wide head",
    "+ batch norm, dropout": "*not kept:* + batch norm and dropout",
}
ROWS = PATH + list(OFF_PATH)


def changes(row):
    """The changes a row has: the path up to it, or an off-path row's own list."""
    if row in OFF_PATH:
        return set(PATH[: PATH.index(OFF_PATH[row][0]) + 1]) | set(OFF_PATH[row][1:])
    return set(PATH[: PATH.index(row) + 1])


def row_settings(nb, row, handwriting):
    """What one row trains with: its augmentation (augmentation.py's names) and its number of epochs."""
    has = changes(row)
    augment = ""
    if "+ handwriting" in has:
        has_shift = "shift" in [part.partition("=")[0] for part in handwriting.split("+")]
        augment = handwriting if has_shift else handwriting + "+shift"
        if "elastic distortion" in has:
            augment = f"{ELASTIC}+{augment}"
    elif "+ shifts" in has:
        augment = "shift"
    return {"augmentation": augment, "epochs": LONGER_EPOCHS if "18 epochs" in has else nb["STRONG_EPOCHS"]}


def build(nb, row, schedule, handwriting):
    """The network of one row, compiled with Adam on `schedule`."""
    layers, keras = nb["layers"], nb["keras"]
    has = changes(row)
    x = inputs = keras.Input(shape=(28, 28, 1), name="image")
    augment = row_settings(nb, row, handwriting)["augmentation"]
    for layer in augmentation_layers(nb, augment) if augment else []:
        x = layer(x)

    def convolution(x, filters, name, padding="valid"):
        if "batch norm" in has:
            x = layers.Conv2D(filters, 3, padding=padding, use_bias=False, name=f"{name}_conv")(x)
            return layers.ReLU(name=f"{name}_relu")(layers.BatchNormalization(name=f"{name}_norm")(x))
        return layers.Conv2D(filters, 3, padding=padding, activation="relu", name=f"{name}_conv")(x)

    x = layers.MaxPooling2D(2, name="pool_1")(convolution(x, 32, "block_1"))
    x = convolution(x, 64, "block_2")
    if "two more convolutions" in has:
        x = convolution(x, 64, "block_2b")
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    if "+ wide head" in has:
        x = convolution(x, 128, "block_3", padding="same")
        if "two more convolutions" in has:
            x = convolution(x, 128, "block_3b", padding="same")
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.Flatten(name="flatten")(layers.MaxPooling2D(2, name="pool_3")(convolution(x, 128, "block_3")))
        x = layers.Dense(64, activation="relu", name="dense_1")(x)
        x = layers.Dense(128, activation="relu", name="dense_2")(x)
    if "+ dropout" in has:
        x = layers.Dropout(nb["DROPOUT_RATE"], name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="ablation")
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model


def time_rows(nb, handwriting, repeats=5, steps=40):
    """Each row's train step alone, all in this one process: `steps` steps on one fixed batch of the notebook's
    size, `repeats` times; the median and range in seconds per epoch (the training split's batches)."""
    keras, data = nb["keras"], training_data(nb)
    images, labels = next(iter(nb["make_training_pipeline"](data["train_raw"], nb["BATCH_SIZE"], nb["SEED"])))
    batches = nb["steps_per_epoch"](data["train_raw"], nb["BATCH_SIZE"])
    timings = {}
    for row in ROWS:
        keras.utils.set_random_seed(nb["SEED"])
        model = build(nb, row, nb["PEAK_LEARNING_RATE"], handwriting)
        for _ in range(5):  # the first steps trace and compile the step
            model.train_on_batch(images, labels)
        per_epoch = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(steps):
                model.train_on_batch(images, labels)
            per_epoch.append((time.perf_counter() - start) / steps * batches)
        augment = row_settings(nb, row, handwriting)["augmentation"]
        label = row + (f" ({augment})" if "shift" in augment and augment != "shift" else "")
        timings[label] = {"median": statistics.median(per_epoch), "lowest": min(per_epoch), "highest": max(per_epoch)}
        print(label, timings[label], flush=True)
    TIMING.write_text(json.dumps({"machine": f"{cpu_model()}, {os.cpu_count()} CPUs", "handwriting": handwriting,
                                  "repeats": repeats, "steps": steps, "seconds_per_epoch": timings}, indent=1) + "\n")


def notebook_table():
    """The Markdown table of part 2's "What each change buys", from the records (rows of 3 or more runs)."""
    runs = json.loads(RECORD.read_text())
    timing = json.loads(TIMING.read_text())["seconds_per_epoch"]

    def spread(values, form):
        return f"{form.format(statistics.mean(values))} ({form.format(min(values))} to {form.format(max(values))})"

    lines = ["| change | MNIST validation | check set, all | check set: 8\u00d78 scans | seconds per epoch |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row, name in NOTEBOOK_ROWS.items():
        mine = [run for run in runs if run["row"] == row]
        if len(mine) < 3 or name.startswith("*not kept"):  # the rows not kept are in ABLATION.md and the prose
            continue
        step = timing[row]  # `--timing` times every row, the longer schedule's too
        # the range only for validation, which the prose compares with the spread between seeds
        lines.append(f"| {name} | {spread([run['val_accuracy'] for run in mine], '{:.4f}')} | "
                     f"{statistics.mean(run['check_set_check_set_all'] for run in mine):.3f} | "
                     f"{statistics.mean(run['check_set_scikit_learn_s_8x8_scans'] for run in mine):.3f} | "
                     f"{step['median']:.1f} |")
    return lines


def report():
    runs = json.loads(RECORD.read_text()) if RECORD.exists() else []
    rows = sorted(dict.fromkeys(run["row"] for run in runs), key=lambda row: ROWS.index(row.split(" (")[0]))
    lines = table(runs, "row", rows)
    if TIMING.exists():
        timing = json.loads(TIMING.read_text())
        lines += ["", f"Train step alone, all rows timed in one process ({timing['machine']}; `--timing`): seconds "
                  f"per epoch, the median of {timing['repeats']} repetitions of {timing['steps']} steps on one fixed "
                  "batch, with the range. The training seconds above come from runs in different sessions, on "
                  "machines that differ, and vary by tens of seconds between runs of the same row; compare the "
                  "rows' cost here.", "", "| row | s per epoch | against the control |", "| --- | ---: | ---: |"]
        per_epoch = timing["seconds_per_epoch"]
        for row, spread in per_epoch.items():
            lines.append(f"| {row} | {spread['median']:.1f} ({spread['lowest']:.1f} to {spread['highest']:.1f}) | "
                         f"{spread['median'] / per_epoch['control']['median']:.2f}x |")
    write_report(RECORD, "What each of part 2's changes buys", __doc__, lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[])
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=ROWS)
    parser.add_argument("--handwriting", default="lowres=0.5",
                        help="augmentation from '+ handwriting' on, in benchmarks/augmentation.py's names")
    parser.add_argument("--timing", action="store_true", help="time every row's train step, in one process")
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--notebook-table", action="store_true", help="print the table as the notebook shows it")
    args = parser.parse_args()
    if args.notebook_table:
        print("\n".join(notebook_table()))
        return
    if args.timing:
        time_rows(load_notebook(), args.handwriting)
    if args.seeds and len(args.seeds) < 3 and len(args.rows) == len(ROWS):
        raise SystemExit("an ablation needs 3 or more seeds per row")
    if args.seeds:
        nb = load_notebook()
        data = training_data(nb)
        recorded = {(run["row"], run["seed"]) for run in json.loads(RECORD.read_text())} if RECORD.exists() else set()
        for seed in args.seeds:
            for row in args.rows:
                settings = row_settings(nb, row, args.handwriting)
                label = row
                if "shift" in settings["augmentation"] and settings["augmentation"] != "shift":
                    label += f" ({settings['augmentation']})"
                if (label, seed) in recorded:
                    print(f"{label}, seed {seed}: recorded already", flush=True)
                    continue
                model_maker = partial(build, nb, row, handwriting=args.handwriting)
                result = train_and_measure(nb, model_maker, seed, data, settings["epochs"])
                append_run(RECORD, {"row": label, **settings, **result})
    report()


if __name__ == "__main__":
    main()
