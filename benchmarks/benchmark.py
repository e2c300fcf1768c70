"""Performance benchmark of the tutorial's models and input pipeline (a benchmark, not a test).

Run from the repository root:

    python benchmarks/benchmark.py            # full run
    python benchmarks/benchmark.py --quick    # fewer repetitions

It prints a Markdown report and writes the same text to benchmarks/RESULTS.md. The models,
the input pipeline and the training recipes are the notebook's own code: the cells tagged
``setup``, ``parameters`` and ``helpers`` are executed from mnist_cnn.ipynb (see tests/notebook_code.py).
The spread of accuracy over seeds is measured by benchmarks/seeds.py.
Every figure is the median of several repetitions unless it says otherwise.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from notebook_code import load_notebook_code  # noqa: E402

NB = load_notebook_code(tags=("setup", "parameters", "helpers"))
tf, keras, np = NB["tf"], NB["keras"], NB["np"]
BATCH_SIZE = NB["BATCH_SIZE"]  # the stronger model's training batches, and evaluation batches
RECIPE_BATCH_SIZE = NB["RECIPE_BATCH_SIZE"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--repeats", type=int, help="repetitions of each timing (default 3, quick 2)")
    parser.add_argument("--skip-strong", action="store_true", help="skip the stronger model's training")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "RESULTS.md"), help="Markdown file to write")
    args = parser.parse_args()
    args.repeats = args.repeats or (2 if args.quick else 3)
    return args


# --- hardware ---------------------------------------------------------------------------------

def cpu_facts():
    """CPU model, core count, base clock and vector flags, read from /proc/cpuinfo."""
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = set(info.get("flags", "").split())
    return {
        "model": info.get("model name", platform.processor() or "unknown"),
        "vendor": info.get("vendor_id", ""),
        "family": int(info.get("cpu family", 0) or 0),
        "cores": os.cpu_count(),
        "mhz": float(info.get("cpu MHz", 0) or 0),
        "avx512": "avx512f" in flags,
        "fma": "fma" in flags,
    }


def peak_gflops(cpu):
    """Single-precision peak from the instruction set and clock, with the reasoning."""
    if cpu["vendor"] == "AuthenticAMD" and cpu["family"] == 25 and cpu["avx512"]:
        per_cycle, why = 32, ("Zen 4: two 256-bit FMA pipes per core (AVX-512 runs as two 256-bit halves), "
                              "8 float32 lanes x 2 FLOP per FMA x 2 pipes")
    elif cpu["avx512"]:
        per_cycle, why = 64, "two 512-bit FMA units per core: 16 float32 lanes x 2 FLOP per FMA x 2 units"
    elif cpu["fma"]:
        per_cycle, why = 32, "two 256-bit FMA units per core: 8 float32 lanes x 2 FLOP per FMA x 2 units"
    else:
        per_cycle, why = 8, "SSE only: 4 float32 lanes, one add and one multiply per cycle"
    peak = cpu["cores"] * cpu["mhz"] / 1000 * per_cycle
    return peak, (f"{cpu['cores']} cores x {cpu['mhz'] / 1000:.2f} GHz (the clock /proc/cpuinfo reports) "
                  f"x {per_cycle} FLOP/cycle ({why})")


# --- data -------------------------------------------------------------------------------------

def load_data():
    """The notebook's training split (without its validation share) and the test split."""
    keep = 100 - NB["VALIDATION_PERCENT"]
    (train_raw, test_raw), _ = NB["load_mnist"]([f"train[:{keep}%]", "test"])
    return train_raw, test_raw


def median_time(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- 1. input pipeline vs tensors in memory ---------------------------------------------------

def throughput(train_raw, repeats, steps=400):
    """Training images/s of the recipe model: the notebook's tf.data pipeline vs in-memory tensors."""
    keras.utils.set_random_seed(0)
    pipeline = NB["make_training_pipeline"](train_raw, RECIPE_BATCH_SIZE, seed=0).repeat()
    images, labels = NB["to_numpy"](train_raw)
    in_memory_images = tf.constant(images[: steps * RECIPE_BATCH_SIZE].astype("float32") / 255)
    in_memory_labels = tf.constant(labels[: steps * RECIPE_BATCH_SIZE])
    model = NB["build_recipe_model"]()
    model.fit(pipeline, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)  # warm-up: tracing, cache

    def fit_pipeline():
        model.fit(pipeline, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)

    def fit_in_memory():
        model.fit(in_memory_images, in_memory_labels, batch_size=RECIPE_BATCH_SIZE, epochs=1, shuffle=False,
                  verbose=0)

    fit_in_memory()  # warm-up of the second input path
    results = {}
    for _ in range(repeats):  # interleave the two so that drift affects both alike
        for name, function in [("pipeline", fit_pipeline), ("in_memory", fit_in_memory)]:
            results.setdefault(name, []).append(median_time(function, 1))
    images_per_step = steps * RECIPE_BATCH_SIZE
    return {name: images_per_step / statistics.median(times) for name, times in results.items()}


# --- 2. floating-point work per training image ------------------------------------------------

def flops_per_training_image(model):
    """Multiply-adds of the conv and dense layers, from their shapes; training = 3 x forward."""
    rows, forward_macs = [], 0
    for layer in model.layers:
        kind = type(layer).__name__
        name = f"{kind} {sum(type(other).__name__ == kind for other in model.layers[:model.layers.index(layer) + 1])}"
        if kind == "Conv2D":
            _, height, width, out_channels = layer.output.shape
            kernel_h, kernel_w = layer.kernel_size
            in_channels = layer.input.shape[-1]
            macs = height * width * kernel_h * kernel_w * in_channels * out_channels
            formula = f"{height}x{width} outputs x {kernel_h}x{kernel_w} x {in_channels} in x {out_channels} out"
        elif kind == "Dense":
            in_units, out_units = layer.input.shape[-1], layer.units
            macs = in_units * out_units
            formula = f"{in_units} in x {out_units} out"
        else:
            continue
        rows.append((name, formula, macs))
        forward_macs += macs
    # Forward: 2 FLOP per multiply-add. Backward: the gradient with respect to the inputs and
    # the gradient with respect to the weights each cost about as much as the forward pass.
    return rows, forward_macs, 2 * forward_macs * 3


# --- 3. training runs: time to reach accuracy ----------------------------

class TestAccuracyPerEpoch(keras.callbacks.Callback):
    """Record the cumulative training time and the test accuracy after every epoch."""

    def __init__(self, test_ds):
        super().__init__()
        self.test_ds, self.points, self.training_seconds = test_ds, [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.training_seconds += time.perf_counter() - self.epoch_start
        _, accuracy = self.model.evaluate(self.test_ds, verbose=0)
        self.points.append((epoch + 1, self.training_seconds, accuracy))


def time_to_accuracy(name, model, epochs, batch_size, train_raw, test_raw, seed):
    keras.utils.set_random_seed(seed)
    train_ds = NB["make_training_pipeline"](train_raw, batch_size, seed)
    test_ds = NB["make_evaluation_pipeline"](test_raw, BATCH_SIZE)
    recorder = TestAccuracyPerEpoch(test_ds)
    model.fit(train_ds, epochs=epochs, shuffle=False, verbose=0, callbacks=[recorder])
    for epoch, seconds, accuracy in recorder.points:
        print(f"  {name} epoch {epoch}: {seconds:.0f} s, test accuracy {accuracy:.4f}", flush=True)
    return recorder.points


def first_reaching(points, target):
    for epoch, seconds, accuracy in points:
        if accuracy >= target:
            return f"{seconds:.0f} s (epoch {epoch})"
    return f"not reached in {len(points)} epochs"


# --- 4. single-image latency ------------------------------------------------------------------

def latency(model, image, repeats, calls=50):
    """Median seconds per single-image call of predict, a direct call and a tf.function."""
    batch = tf.constant(image[None])
    compiled = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    ways = {
        "model.predict(image)": lambda: model.predict(batch, verbose=0),
        "model(image, training=False)": lambda: model(batch, training=False),
        "tf.function(model)(image)": lambda: compiled(batch),
    }
    results = {}
    for name, call in ways.items():
        call()  # warm-up: tracing, building the predict function
        per_call = [median_time(call, calls) for _ in range(repeats)]
        results[name] = statistics.median(per_call)
    return results


# --- 5. augmentation cost ---------------------------------------------------------------------

def augmentation_cost(images, repeats):
    """Microseconds per image of Keras's random shift, rotation and zoom layers on a batch of 128."""
    batch = tf.constant(images[:BATCH_SIZE].astype("float32") / 255)
    layers = keras.layers
    candidates = {
        "RandomTranslation (2 px)": layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant",
                                                             interpolation="nearest", seed=0),
        "RandomRotation (10 degrees)": layers.RandomRotation(10 / 360, fill_mode="constant", seed=0),
        "RandomZoom (10%)": layers.RandomZoom(0.1, fill_mode="constant", seed=0),
    }
    results = {}
    for name, layer in candidates.items():
        step = tf.function(lambda x, layer=layer: layer(x, training=True))
        step(batch)
        seconds = median_time(lambda step=step: [step(batch) for _ in range(20)], repeats)
        results[name] = 1e6 * seconds / (20 * BATCH_SIZE)
    return results


# --- report -----------------------------------------------------------------------------------

def main():
    args = parse_args()
    started = time.perf_counter()
    cpu = cpu_facts()
    peak, peak_reason = peak_gflops(cpu)
    train_raw, test_raw = load_data()
    lines = ["# Benchmark results", "",
             "Written by `python benchmarks/benchmark.py" + (" --quick" if args.quick else "") + "`; "
             "every figure below is that run's output. Medians of "
             f"{args.repeats} repetitions unless stated.", "",
             "## Machine", "",
             f"- CPU: {cpu['model']}, {cpu['cores']} cores visible, {cpu['mhz']:.0f} MHz",
             f"- Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}",
             f"- Device used: {'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}", ""]

    print("Throughput...", flush=True)
    rates = throughput(train_raw, args.repeats)
    ratio = rates["pipeline"] / rates["in_memory"]
    lines += ["## Input pipeline: is it the bottleneck?", "",
              f"Recipe model, batch {RECIPE_BATCH_SIZE} as in the notebook, 400 training steps per measurement.",
              "",
              "| input | training images/s |", "| --- | ---: |",
              f"| notebook's `tf.data` pipeline | {rates['pipeline']:,.0f} |",
              f"| tensors already in memory | {rates['in_memory']:,.0f} |",
              f"| ratio (goal: at least 0.9) | {ratio:.2f} |", ""]

    rows, forward_macs, train_flops = flops_per_training_image(NB["build_recipe_model"]())
    achieved = train_flops * rates["pipeline"] / 1e9
    lines += ["## Floating-point work of the recipe model", "",
              "Counted from the layer shapes: a convolution does output height x width x kernel area x "
              "input channels x output channels multiply-adds, a dense layer inputs x outputs. "
              "Pooling, activations and the optimizer update are left out: each costs a few thousand "
              "operations per image, next to millions here.", "",
              "| layer | multiply-adds per image | count |", "| --- | --- | ---: |"]
    lines += [f"| {name} | {formula} | {macs:,} |" for name, formula, macs in rows]
    lines += ["",
              f"- Forward pass: {forward_macs:,} multiply-adds = {2 * forward_macs / 1e6:.1f} MFLOP per image.",
              f"- Training step: forward + gradient w.r.t. inputs + gradient w.r.t. weights, about 3 x forward "
              f"= {train_flops / 1e6:.1f} MFLOP per image.",
              f"- Achieved: {train_flops / 1e6:.1f} MFLOP x {rates['pipeline']:,.0f} images/s = "
              f"**{achieved:.0f} GFLOP/s**.",
              f"- Peak float32: {peak_reason} = **{peak:.0f} GFLOP/s**; the recipe reaches "
              f"{100 * achieved / peak:.0f}% of it (small layers, small batches and "
              "memory-bound pooling keep it far from peak).", ""]

    print("Time to accuracy...", flush=True)
    recipe_epochs = 3 if args.quick else 6
    recipe_points = time_to_accuracy("recipe", NB["build_recipe_model"](), recipe_epochs, RECIPE_BATCH_SIZE,
                                     train_raw, test_raw, NB["SEED"])
    tta_rows = [("recipe (no early stop)", recipe_points)]
    strong_model = None
    if not args.skip_strong:
        epochs = NB["STRONG_EPOCHS"]
        keras.utils.set_random_seed(NB["SEED"])
        schedule = NB["warmup_cosine_schedule"](int(np.ceil(len(train_raw) / BATCH_SIZE)), epochs,
                                                NB["PEAK_LEARNING_RATE"])
        strong_model = NB["build_strong_model"](schedule, NB["WEIGHT_DECAY"], NB["MAX_SHIFT_PIXELS"],
                                                NB["DROPOUT_RATE"])
        tta_rows.append((f"stronger model ({epochs}-epoch schedule)",
                         time_to_accuracy("strong", strong_model, epochs, BATCH_SIZE, train_raw, test_raw,
                                          NB["SEED"])))
    lines += ["## Time to reach a test accuracy", "",
              "Training time only (the per-epoch test evaluation that measures it is not counted), "
              "seed 42. The test set is used here as a stopwatch, not for any choice.", "",
              "| model | to 98% | to 99% | final |", "| --- | --- | --- | ---: |"]
    lines += [f"| {name} | {first_reaching(points, 0.98)} | {first_reaching(points, 0.99)} | "
              f"{points[-1][2]:.4f} after {points[-1][1]:.0f} s |" for name, points in tta_rows]
    lines += [""]

    print("Latency...", flush=True)
    model = strong_model or NB["build_recipe_model"]()
    images, _ = NB["to_numpy"](test_raw.take(BATCH_SIZE))
    waits = latency(model, images[0].astype("float32") / 255, args.repeats)
    lines += ["## Classifying one image", "",
              f"The {'stronger' if strong_model else 'recipe'} model, one 28x28 image per call, "
              "median of 50 calls per repetition.", "",
              "| call | milliseconds per image |", "| --- | ---: |"]
    lines += [f"| `{name}` | {1000 * seconds:.2f} |" for name, seconds in waits.items()]
    lines += ["", "`predict` builds a dataset and a loop around every call, which costs more than the model "
              "itself for one image; part 3 of the notebook calls the model directly.", ""]

    print("Augmentation...", flush=True)
    costs = augmentation_cost(images, args.repeats)
    lines += ["## Augmentation cost", "", "Keras preprocessing layers on one batch of 128 images, in training mode.",
              "", "| layer | microseconds per image |", "| --- | ---: |"]
    lines += [f"| {name} | {micro:.1f} |" for name, micro in costs.items()]
    lines += ["", f"Whole benchmark: {(time.perf_counter() - started) / 60:.1f} minutes.", ""]

    report = "\n".join(lines)
    print("\n" + report)
    Path(args.output).write_text(report, encoding="utf-8")
    print(f"Written to {args.output}")


if __name__ == "__main__":
    main()
