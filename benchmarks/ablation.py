"""What each of part 2's changes buys: an ablation from the recipe to the stronger model (issue 9).

Every row trains with part 2's schedule (the notebook's epochs, batch size, AdamW with one epoch of warm-up
and cosine decay to the same peak learning rate), from a freshly seeded state, and adds one change to the
row above it:

    control            the recipe's network (3 conv/pool stages, two hidden dense layers), no weight decay
    + wide head        no third pooling and no hidden dense layers: the classifier reads the 5x5 map
    + batch norm       batch normalisation after each convolution (which then needs no bias)
    + dropout          dropout before the classifier (the notebook's DROPOUT_RATE)
    + weight decay     AdamW's weight decay (--weight-decay)
    + shifts           random shifts of up to MAX_SHIFT_PIXELS pixels
    + handwriting      the augmentation given by --handwriting (benchmarks/augmentation.py's names)

Each row is measured on MNIST's validation split and on the notebook's out-of-MNIST check set, and timed;
the test split plays no part. Default numeric setting only; 3 or more seeds per row.

    python benchmarks/ablation.py --seeds 42 1 2            # about 7 rows x 3 seeds x 3 to 5 min
    python benchmarks/ablation.py --report                  # the table so far

Each run is appended to benchmarks/ablation.json as soon as it ends.
"""

import argparse
import json
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from augmentation import append_run, augmentation_layers, table, train_and_measure, training_data, write_report
from seeds import load_notebook

RECORD = Path(__file__).resolve().parent / "ablation.json"
ROWS = ["control", "+ wide head", "+ batch norm", "+ dropout", "+ weight decay", "+ shifts", "+ handwriting"]


def row_settings(row, weight_decay, handwriting):
    """What one row trains with: the weight decay and the augmentation (augmentation.py's names) it has reached."""
    has = set(ROWS[: ROWS.index(row) + 1])
    augment = ""
    if "+ handwriting" in has:
        has_shift = "shift" in [part.partition("=")[0] for part in handwriting.split("+")]
        augment = handwriting if has_shift else handwriting + "+shift"
    elif "+ shifts" in has:
        augment = "shift"
    return {"weight_decay": weight_decay if "+ weight decay" in has else 0.0, "augmentation": augment}


def build(nb, row, schedule, weight_decay, handwriting):
    """The network of one row: every change up to and including `row`."""
    layers, keras = nb["layers"], nb["keras"]
    has = set(ROWS[: ROWS.index(row) + 1])
    settings = row_settings(row, weight_decay, handwriting)
    x = inputs = keras.Input(shape=(28, 28, 1), name="image")
    augment = settings["augmentation"]
    for layer in augmentation_layers(nb, augment) if augment else []:
        x = layer(x)

    def convolution(x, filters, name, padding="valid"):
        if "+ batch norm" in has:
            return nb["conv_block"](x, filters, name, padding)
        return layers.Conv2D(filters, 3, padding=padding, activation="relu", name=f"{name}_conv")(x)

    x = layers.MaxPooling2D(2, name="pool_1")(convolution(x, 32, "block_1"))
    x = layers.MaxPooling2D(2, name="pool_2")(convolution(x, 64, "block_2"))
    if "+ wide head" in has:
        x = layers.Flatten(name="flatten")(convolution(x, 128, "block_3", padding="same"))
    else:
        x = layers.Flatten(name="flatten")(layers.MaxPooling2D(2, name="pool_3")(convolution(x, 128, "block_3")))
        x = layers.Dense(64, activation="relu", name="dense_1")(x)
        x = layers.Dense(128, activation="relu", name="dense_2")(x)
    if "+ dropout" in has:
        x = layers.Dropout(nb["DROPOUT_RATE"], name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="ablation")
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=settings["weight_decay"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model


def report():
    runs = json.loads(RECORD.read_text()) if RECORD.exists() else []
    rows = sorted(dict.fromkeys(run["row"] for run in runs), key=lambda row: ROWS.index(row.split(" (")[0]))
    write_report(RECORD, "What each of part 2's changes buys", __doc__, table(runs, "row", rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[])
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=ROWS)
    parser.add_argument("--weight-decay", type=float, default=None, help="default: the notebook's WEIGHT_DECAY")
    parser.add_argument("--handwriting", default="rotate+zoom+shear+lowres",
                        help="augmentation for the last row, in benchmarks/augmentation.py's names")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.seeds and len(args.seeds) < 3 and len(args.rows) == len(ROWS):
        raise SystemExit("an ablation needs 3 or more seeds per row")
    if args.seeds:
        nb = load_notebook()
        data = training_data(nb)
        weight_decay = nb["WEIGHT_DECAY"] if args.weight_decay is None else args.weight_decay
        for seed in args.seeds:
            for row in args.rows:
                model_maker = partial(build, nb, row, weight_decay=weight_decay, handwriting=args.handwriting)
                result = train_and_measure(nb, model_maker, seed, data, nb["STRONG_EPOCHS"])
                settings = row_settings(row, weight_decay, args.handwriting)
                label = row
                if settings["weight_decay"] not in (0.0, nb["WEIGHT_DECAY"]):
                    label += f" (weight decay {settings['weight_decay']:g})"
                if row == "+ handwriting":
                    label += f" ({settings['augmentation']})"
                append_run(RECORD, {"row": label, **settings, **result})
    report()


if __name__ == "__main__":
    main()
