"""Which augmentation helps the stronger model read handwriting from outside MNIST (issue 9's search).

Trains part 2's stronger model as it was when this search was made (three convolution/batch-norm blocks, dropout,
AdamW with weight decay 1e-4, 12 epochs; the notebook's batch, schedule and seed) with its 2-pixel shift replaced
by other augmentations, and measures each variant on MNIST's validation split and on the notebook's
out-of-MNIST check set (`make_check_set`), never on the test split: this is where the augmentation was chosen.
Default numeric setting only. What the notebook's model became is measured by benchmarks/ablation.py.

    python benchmarks/augmentation.py --variants shift rotate-zoom --seeds 42      # about 4 to 6 min a run
    python benchmarks/augmentation.py --report                                      # the table so far

Each run is appended to benchmarks/augmentation.json as soon as it ends, so a long search can be stopped.
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
from seeds import check_set_key, check_set_label, cpu_model, load_notebook

RECORD = Path(__file__).resolve().parent / "augmentation.json"


def augmentation_layers(nb, variant):
    """The layers that replace the notebook's `shift` layer, for one variant name ("+"-joined parts)."""
    layers, keras, tf, np = nb["layers"], nb["keras"], nb["tf"], nb["np"]
    constant = {"fill_mode": "constant", "fill_value": 0.0}

    class RandomStrokeWidth(layers.Layer):
        """Each image, with probability `rate`, blended by a random share towards a 3x3 maximum filter (strokes a
        pixel wider on every side) or a 2x2 minimum filter (a pixel narrower at their right and bottom edges)."""

        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator()

        def call(self, images, training=None):
            if not training:
                return images
            thick = tf.nn.max_pool2d(images, 3, 1, "SAME")
            thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
            amount = keras.random.uniform((tf.shape(images)[0], 1, 1, 1), -1.0, 1.0, seed=self.seed_generator)
            chosen = keras.random.uniform((tf.shape(images)[0], 1, 1, 1), seed=self.seed_generator) < self.rate
            amount = tf.where(chosen, amount, 0.0)
            return images + tf.maximum(amount, 0.0) * (thick - images) + tf.maximum(-amount, 0.0) * (thin - images)

    class RandomElasticDistortion(layers.Layer):
        """Every image's pixels moved by a smooth random field (Simard, Steinkraus and Platt, 2003): normal noise
        smoothed by a Gaussian of `sigma` pixels, scaled so that a pixel's move along each axis has a
        standard deviation of `pixels` pixels (less within 3 sigma of the border, where the smoothing reads zero
        padding), then read bilinearly; what comes in from outside the image is background.
        Keras's RandomElasticTransform is not used: in a traced step, where the batch size is unknown, it gives
        every chosen image the distorted first image of the batch (and it moves pixels by the same noise on both
        axes)."""

        def __init__(self, pixels, sigma=4.0, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator()
            radius = int(np.ceil(3 * sigma))
            gauss = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma ** 2))
            gauss /= gauss.sum()
            self.scale = pixels / float(np.sum(gauss ** 2))  # smoothing by gauss x gauss leaves sd sum(gauss^2)
            self.along_x = tf.constant(np.tile(gauss[None, :, None, None], (1, 1, 2, 1)), tf.float32)
            self.along_y = tf.constant(np.tile(gauss[:, None, None, None], (1, 1, 2, 1)), tf.float32)

        def call(self, images, training=None):
            if not training:
                return images
            height, width = images.shape[1], images.shape[2]
            noise = keras.random.normal((tf.shape(images)[0], height, width, 2), seed=self.seed_generator)  # row, col
            field = tf.nn.depthwise_conv2d(noise, self.along_x, [1, 1, 1, 1], "SAME")
            field = tf.nn.depthwise_conv2d(field, self.along_y, [1, 1, 1, 1], "SAME") * self.scale
            rows, columns = tf.meshgrid(tf.range(height, dtype=tf.float32), tf.range(width, dtype=tf.float32),
                                        indexing="ij")
            read_row, read_column = rows + field[..., 0], columns + field[..., 1]
            top, left = tf.floor(read_row), tf.floor(read_column)
            down, right = tf.cast(read_row - top, images.dtype), tf.cast(read_column - left, images.dtype)
            plane = images[..., 0]

            def pixel(row, column):  # the image's pixel there, or background outside the image
                inside = (row >= 0) & (row <= height - 1) & (column >= 0) & (column <= width - 1)
                where = tf.stack([tf.clip_by_value(tf.cast(row, tf.int32), 0, height - 1),
                                  tf.clip_by_value(tf.cast(column, tf.int32), 0, width - 1)], -1)
                values = tf.gather_nd(plane, where, batch_dims=1)
                return tf.where(inside, values, tf.zeros_like(values))

            read = (pixel(top, left) * (1 - down) * (1 - right) + pixel(top, left + 1) * (1 - down) * right
                    + pixel(top + 1, left) * down * (1 - right) + pixel(top + 1, left + 1) * down * right)
            return read[..., None]

    # name: (layer maker, default strength); "name=strength" in a variant overrides the default. Keras's blur
    # layer reads its factor as the largest of a random strength (and its sigma is drawn per batch).
    parts = {
        "shift": (lambda pixels: layers.RandomTranslation(pixels / 28, pixels / 28, interpolation="nearest",
                                                           **constant), 2),
        "rotate": (lambda degrees: layers.RandomRotation(degrees / 360, **constant), 12),
        "zoom": (lambda share: layers.RandomZoom((-share, share), (-share, share), **constant), 0.15),
        "shear": (lambda share: layers.RandomShear(share, 0.0, **constant), 0.2),
        "elastic": (lambda pixels: RandomElasticDistortion(pixels), 1.0),
        "lowres": (lambda share: nb["RandomLowResolution"](share, 8, 16), 0.3),  # the notebook's layer
        "stroke": (lambda rate: RandomStrokeWidth(rate), 0.5),
        "blur": (lambda factor: layers.RandomGaussianBlur(factor=factor, kernel_size=3, sigma=1.0,
                                                          value_range=(0, 1)), 0.5),
    }
    # Geometric layers first, the shift last (as the notebook's is the first layer), then what changes the ink.
    order = ["rotate", "zoom", "shear", "elastic", "shift", "stroke", "lowres", "blur"]
    strengths = {}
    for part in variant.split("+"):
        name, _, strength = part.partition("=")
        if name not in parts:
            raise SystemExit(f"unknown augmentation {name!r}; choose from {order}")
        strengths[name] = float(strength) if strength else parts[name][1]
    return [parts[name][0](strengths[name]) for name in order if name in strengths]


WEIGHT_DECAY = 1e-4  # AdamW's, as part 2 had it during this search
EPOCHS = 12  # part 2's schedule during this search


def build_model(nb, variant, schedule, weight_decay):
    """Part 2's stronger model as it was during this search, with its shift layer replaced by the variant's layers."""
    layers, keras = nb["layers"], nb["keras"]

    def conv_block(x, filters, name, padding="valid"):
        x = layers.Conv2D(filters, 3, padding=padding, use_bias=False, name=f"{name}_conv")(x)
        return layers.ReLU(name=f"{name}_relu")(layers.BatchNormalization(name=f"{name}_norm")(x))

    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = inputs
    for layer in augmentation_layers(nb, variant):
        x = layer(x)
    x = layers.MaxPooling2D(2, name="pool_1")(conv_block(x, 32, "block_1"))
    x = layers.MaxPooling2D(2, name="pool_2")(conv_block(x, 64, "block_2"))
    x = conv_block(x, 128, "block_3", padding="same")
    x = layers.Dropout(nb["DROPOUT_RATE"], name="dropout")(layers.Flatten(name="flatten")(x))
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="strong_cnn")
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=weight_decay),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model


def training_data(nb):
    """The notebook's training and validation splits, and its out-of-MNIST check set, prepared."""
    keep = 100 - nb["VALIDATION_PERCENT"]
    (train_raw, val_raw), _ = nb["load_mnist"]([f"train[:{keep}%]", f"train[{keep}%:]"])
    return {"train_raw": train_raw, "val_ds": nb["make_evaluation_pipeline"](val_raw, nb["BATCH_SIZE"]),
            "check_set": nb["prepare_check_set"](nb["make_check_set"](drawings_per_digit=20, seed=nb["SEED"]))}


def train_and_measure(nb, make_model, seed, data, epochs):
    """Train make_model(schedule) with part 2's schedule from a freshly seeded state; validation, check set, time."""
    nb["keras"].utils.set_random_seed(seed)
    batch = nb["BATCH_SIZE"]
    train_ds = nb["make_training_pipeline"](data["train_raw"], batch, seed)
    schedule = nb["warmup_cosine_schedule"](nb["steps_per_epoch"](data["train_raw"], batch), epochs,
                                            nb["PEAK_LEARNING_RATE"])
    model = make_model(schedule)
    start = time.perf_counter()
    history = model.fit(train_ds, validation_data=data["val_ds"], epochs=epochs, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    outside = nb["check_set_accuracy"](model, data["check_set"])
    return {"seed": seed, "epochs": epochs, "parameters": model.count_params(), "seconds": round(seconds, 1),
            "final_train_accuracy": history.history["accuracy"][-1],
            "val_accuracy": history.history["val_accuracy"][-1],
            **{check_set_key(source): float(value) for source, value in outside.items()}}


def append_run(record, result):
    """Add one run to the JSON record at once, so that a long search can be stopped without losing runs."""
    print(json.dumps(result), flush=True)
    runs = json.loads(record.read_text()) if record.exists() else []
    record.write_text(json.dumps([*runs, result], indent=1) + "\n")


def table(runs, group_key, groups):
    """Markdown lines: per group, the mean (with the range over runs) of validation accuracy, each part of
    the check set, and training seconds."""
    check_keys = sorted({key for run in runs for key in run if key.startswith("check_set_")},
                        key=lambda key: (not key.endswith("check_set_all"), key))
    keys = ["val_accuracy", *check_keys, "seconds"]
    names = {"val_accuracy": "MNIST validation", "seconds": "training s"}
    lines = [f"| {group_key} | runs | " + " | ".join(names.get(k) or check_set_label(k) for k in keys) + " |",
             "| --- | ---: |" + " ---: |" * len(keys)]
    for group in groups:
        mine = [run for run in runs if run[group_key] == group]
        if not mine:
            continue
        cells = []
        for key in keys:
            values = [run[key] for run in mine]
            form = "{:.0f}" if key == "seconds" else "{:.4f}"
            cells.append(form.format(statistics.mean(values)) + (
                f" ({form.format(min(values))} to {form.format(max(values))})" if len(values) > 1 else ""))
        lines.append(f"| {group} | {len(mine)} | " + " | ".join(cells) + " |")
    return lines


def first_paragraph(title, doc):
    """The first paragraph of `doc`, without the title it may open with ("Title: the rest" -> "The rest")."""
    paragraph = doc.strip().split("\n\n")[0]
    if paragraph.startswith(title + ": "):
        paragraph = paragraph.removeprefix(title + ": ")
        paragraph = paragraph[0].upper() + paragraph[1:]
    return paragraph


def write_report(record, title, doc, lines):
    """Print the table and write it, under a title and the first paragraph of `doc`, beside the JSON record."""
    text = "\n".join([f"# {title}", "", first_paragraph(title, doc), "",
                      f"Runs recorded in `{record.name}`; this report was written on {cpu_model()}, "
                      f"{os.cpu_count()} CPUs. Mean over runs, with the range in parentheses.", "", *lines]) + "\n"
    record.with_name(record.stem.upper() + ".md").write_text(text)
    print("\n".join(lines))


def report():
    runs = json.loads(RECORD.read_text()) if RECORD.exists() else []
    write_report(RECORD, "Augmentations for handwriting from outside MNIST", __doc__,
                 table(runs, "variant", dict.fromkeys(run["variant"] for run in runs)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=[])
    parser.add_argument("--seeds", nargs="+", type=int, default=[42])
    parser.add_argument("--weight-decay", type=float, help=f"AdamW's weight decay (default {WEIGHT_DECAY:g})")
    parser.add_argument("--epochs", type=int, help=f"epochs of the schedule (default {EPOCHS})")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.variants:
        nb = load_notebook()
        data = training_data(nb)
        weight_decay = WEIGHT_DECAY if args.weight_decay is None else args.weight_decay
        epochs = args.epochs or EPOCHS
        for seed in args.seeds:
            for variant in args.variants:
                label = variant + (f" wd={weight_decay:g}" if weight_decay != WEIGHT_DECAY else "") + (
                    f" epochs={epochs}" if epochs != EPOCHS else "")
                result = train_and_measure(nb, partial(build_model, nb, variant, weight_decay=weight_decay), seed, data,
                                           epochs)
                append_run(RECORD, {"variant": label, "weight_decay": weight_decay, **result})
    report()


if __name__ == "__main__":
    main()
