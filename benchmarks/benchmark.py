"""Speed benchmark of the tutorial's models, input pipeline and image reading (a benchmark, not a test).

Run from the repository root:

    python benchmarks/benchmark.py            # full run: 5 repetitions, both models trained (about 15 minutes)
    python benchmarks/benchmark.py --quick    # 3 repetitions, the stronger model's training left out (under 5)

It prints a Markdown report and writes the same text to benchmarks/RESULTS.md (--output to write elsewhere).
Everything runs under the notebook's own settings: its seed and TensorFlow's deterministic ops, its
models, input pipeline, training functions (`train_recipe`, `train_strong`) and image reading
(`predict_digit`), executed from the cells of mnist_cnn.ipynb tagged ``setup``, ``parameters`` and
``helpers`` (see tests/notebook_code.py). Only the section on what determinism costs switches it off,
and on again.

Every timing is repeated: the report gives the median and the range (slowest and fastest
repetition), and says so where a figure comes from a single run. Accuracy over seeds is measured by
benchmarks/seeds.py.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from notebook_code import load_notebook_code  # noqa: E402

NB = load_notebook_code(tags=("setup", "parameters", "helpers"))
tf, keras, np = NB["tf"], NB["keras"], NB["np"]
BATCH_SIZE, RECIPE_BATCH_SIZE = NB["BATCH_SIZE"], NB["RECIPE_BATCH_SIZE"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 repetitions instead of 5, a smaller matrix product, the recipe trained for 2 epochs "
                             "instead of 6 and the stronger model's training left out (its train step is still timed)")
    parser.add_argument("--repeats", type=int, help="repetitions of each timing (at least 3; default 5, quick 3)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "RESULTS.md"), help="Markdown file to write")
    parser.add_argument("--determinism-off-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.repeats < 3:
        parser.error(f"--repeats {args.repeats}: give at least 3, so that each figure has a spread")
    return args


# --- timing -----------------------------------------------------------------------------------

class Spread:
    """Repeated measurements of one quantity: median and range."""

    def __init__(self, values):
        self.values = sorted(values)
        self.median = statistics.median(self.values)
        self.low, self.high = self.values[0], self.values[-1]

    def scaled(self, factor):
        return Spread([value * factor for value in self.values])

    def format(self, spec=",.0f", unit="", count="repetitions"):
        return (f"{self.median:{spec}}{unit} ({self.low:{spec}} to {self.high:{spec}}, "
                f"{len(self.values)} {count})")


def seconds_of(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def rate(function, amount, repeats):
    """`amount` units of work per second over `repeats` timed calls of `function` (after one warm-up call)."""
    function()
    return Spread([amount / seconds_of(function) for _ in range(repeats)])


# --- 1. the machine ---------------------------------------------------------------------------

def lscpu():
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in output.splitlines())}


def cpu_facts():
    """Model, physical cores, threads, clock and vector units, from lscpu and /proc/cpuinfo."""
    info = lscpu()
    flags = set(info.get("Flags", "").split())
    count = lambda key: int(info[key]) if info.get(key, "").isdigit() else 0  # noqa: E731 ("-" on some ARM)
    cores = count("Core(s) per socket") * count("Socket(s)")
    mhz = float(info.get("CPU max MHz", 0) or 0)
    clock_source = "lscpu's maximum clock"
    if not mhz:
        cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
        found = re.search(r"cpu MHz\s*:\s*([\d.]+)", cpuinfo)
        mhz, clock_source = (float(found.group(1)) if found else 0.0), "the clock /proc/cpuinfo reports (nominal)"
    return {
        "model": info.get("Model name", platform.processor() or "unknown CPU"),
        "vendor": info.get("Vendor ID", ""), "family": int(info.get("CPU family", 0) or 0),
        "physical_cores": cores or os.cpu_count(), "threads_per_core": count("Thread(s) per core") or 1,
        "cores_source": "lscpu" if cores else "os.cpu_count(), as lscpu gave none: logical CPUs, maybe too many",
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "mhz": mhz, "clock_source": clock_source,
        "isa": [name for name in ["sse4_2", "avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "avx_vnni"]
                if name in flags],
    }


def theoretical_peak(cpu):
    """float32 GFLOP/s from physical cores x clock x FLOP per cycle, with the assumptions spelled out."""
    isa = set(cpu["isa"])
    if "avx512f" in isa and cpu["vendor"] == "AuthenticAMD":
        per_cycle, why = 32, "AMD with AVX-512 (Zen 4 and later): 512-bit FMAs issue as two 256-bit halves, so 32"
    elif "avx512f" in isa:
        per_cycle, why = 64, ("Intel with AVX-512: two 512-bit FMA units, 16 lanes x 2 FLOP x 2 = 64 (lower Xeon "
                              "models have one unit, 32)")
    elif "fma" in isa:
        per_cycle, why = 32, "AVX2 with FMA: two 256-bit FMA units, 8 lanes x 2 FLOP x 2 = 32"
    else:
        per_cycle, why = 8, "SSE: 4 lanes, one add and one multiply per cycle = 8"
    if not cpu["mhz"]:
        return float("nan"), "unknown: no clock speed found in lscpu or /proc/cpuinfo"
    peak = cpu["physical_cores"] * cpu["mhz"] / 1000 * per_cycle
    return peak, (f"{cpu['physical_cores']} physical cores x {cpu['mhz'] / 1000:.2f} GHz ({cpu['clock_source']}; "
                  f"the all-core clock under load may be lower) x {per_cycle} FLOP per cycle ({why})")


def section_machine(cpu):
    threads = (f"{cpu['threads_per_core']} thread per core" if cpu["threads_per_core"] == 1
               else f"{cpu['threads_per_core']} threads per core, so the logical CPUs share cores")
    return ["## Machine", "",
            f"- CPU: {cpu['model']}; {cpu['physical_cores']} physical cores ({cpu['cores_source']}), {threads}; "
            f"{cpu['usable_cpus']} CPUs usable by this process",
            f"- Vector instructions found: {', '.join(cpu['isa']) or 'none of those looked for'}",
            f"- Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"NumPy {np.__version__}; oneDNN "
            f"{'off' if os.environ.get('TF_ENABLE_ONEDNN_OPTS') == '0' else 'on (TensorFlow default)'}",
            f"- Device: {'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}; deterministic ops on, "
            "as in the notebook", ""]


# --- 2. the achievable peak: a large matrix product -------------------------------------------

def section_matmul_peak(cpu, size, repeats):
    """float32 GFLOP/s of one large matrix product in TensorFlow and in NumPy, beside the theoretical peak."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    product = tf.function(lambda: tf.linalg.matmul(ta, tb))
    flop = 2 * size ** 3
    peaks = {"TensorFlow `tf.linalg.matmul`": rate(lambda: product().numpy(), flop / 1e9, repeats),
             "NumPy `a @ b`": rate(lambda: a @ b, flop / 1e9, repeats)}
    theoretical, reason = theoretical_peak(cpu)
    lines = ["## The achievable peak: one large matrix product", "",
             f"A {size}x{size} by {size}x{size} float32 product ({flop / 1e9:.1f} GFLOP), the most regular work a "
             "CPU does: what this machine can reach in practice, measured in this run.", "",
             "| library | GFLOP/s |", "| --- | ---: |"]
    lines += [f"| {name} | {spread.format(',.0f')} |" for name, spread in peaks.items()]
    best = max(peaks.values(), key=lambda spread: spread.median)
    lines += ["", f"Theoretical peak: {reason} = **{theoretical:,.0f} GFLOP/s**. The faster library reaches "
              f"{100 * best.median / theoretical:.0f}% of it."]
    if best.median > theoretical:
        per_core_clock = best.median / theoretical * cpu["mhz"] / 1000
        lines[-1] += (f" More than 100% means the assumptions are off: at the assumed FLOP per cycle, the cores ran at "
                      f"{per_core_clock:.1f} GHz or more (a turbo clock above the reported one). That is why the "
                      "measured product, not the theoretical figure, is the reference below.")
    lines += ["", "The shares below are of the faster library's median: the best this machine was seen to do.", ""]
    return best, lines


# --- 3. floating-point work per training image ------------------------------------------------

def flops_per_training_image(model):
    """Multiply-adds of the conv and dense layers, from their shapes; training = 3 x forward."""
    rows, forward_macs = [], 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            _, height, width, out_channels = layer.output.shape
            (kernel_h, kernel_w), in_channels = layer.kernel_size, layer.input.shape[-1]
            macs = height * width * kernel_h * kernel_w * in_channels * out_channels
            formula = f"{height}x{width} outputs x {kernel_h}x{kernel_w} x {in_channels} in x {out_channels} out"
        elif kind == "Dense":
            macs = layer.input.shape[-1] * layer.units
            formula = f"{layer.input.shape[-1]} in x {layer.units} out"
        else:
            continue
        rows.append((layer.name, formula, macs))
        forward_macs += macs
    # 2 FLOP per multiply-add; the backward pass computes two gradients (inputs, weights), each about a forward pass.
    return rows, 2 * forward_macs * 3


def section_flops(models):
    lines = ["## Floating-point work per training image", "",
             "Counted from the layer shapes: a convolution does output height x width x kernel area x input channels "
             "x output channels multiply-adds, a dense layer inputs x outputs; 2 FLOP each. A training step is about "
             "3 forward passes (forward, gradient with respect to the inputs, gradient with respect to the weights). "
             "Pooling, activations, augmentation and the optimizer are left out: they are memory traffic "
             "more than arithmetic.", ""]
    work = {}
    for name, model in models.items():
        rows, flops = flops_per_training_image(model)
        work[name] = flops
        lines += [f"**{name}**: " + "; ".join(f"{layer} {formula} = {macs:,}" for layer, formula, macs in rows)
                  + f". Training: **{flops / 1e6:.1f} MFLOP per image**.", ""]
    return work, lines


# --- 4. input pipeline alone against the train step alone -------------------------------------

def first_batch(train_raw, batch_size):
    return next(iter(NB["make_training_pipeline"](train_raw, batch_size, seed=0)))


def train_step_rate(model, batch, repeats, steps):
    """Training images per second of `steps` train steps on one fixed batch: no input pipeline at all."""
    images, labels = batch
    return rate(lambda: [model.train_on_batch(images, labels) for _ in range(steps)],
                steps * int(images.shape[0]), repeats)


def pipeline_rates(train_raw, batch_size, repeats):
    """Images per second the notebook's training pipeline delivers alone: a first epoch, then a cached one."""
    first, later = [], []
    for repetition in range(repeats):
        pipeline = NB["make_training_pipeline"](train_raw, batch_size, seed=repetition)
        for times in (first, later):
            times.append(len(train_raw) / seconds_of(lambda pipeline=pipeline: [None for _ in pipeline]))
    return Spread(first), Spread(later)


def section_pipeline(train_raw, step_rates, repeats):
    lines = ["## Input pipeline alone against the train step alone", "",
             "The pipeline: the notebook's `make_training_pipeline` iterated over a whole epoch with no model "
             "(the first epoch reads TFDS's files and fills the cache; later epochs read the cache and shuffle). "
             "The train step: `train_on_batch` on one fixed batch, so no input pipeline at all. "
             "The pipeline is not the bottleneck if it delivers several times what the step consumes.", "",
             "| model (batch) | pipeline, first epoch | pipeline, later epochs | train step alone | "
             "pipeline's slowest / step's fastest |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, batch_size in [("recipe", RECIPE_BATCH_SIZE), ("stronger", BATCH_SIZE)]:
        first, later = pipeline_rates(train_raw, batch_size, repeats)
        step = step_rates[name]
        lines.append(f"| {name} ({batch_size}) | {first.format()} | {later.format()} | {step.format()} | "
                     f"{min(first.low, later.low) / step.high:.0f}x |")
    lines += ["", "All in images per second.", ""]
    return lines


# --- 5. training throughput against the peak --------------------------------------------------

def recipe_model():
    keras.utils.set_random_seed(NB["SEED"])
    return NB["build_recipe_model"]()


def strong_model(jit_compile=False, precision="float32"):
    keras.utils.set_random_seed(NB["SEED"])
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        model = NB["build_strong_model"](NB["PEAK_LEARNING_RATE"], NB["AUGMENTATION"], NB["DROPOUT_RATE"])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    if jit_compile:  # the same compile arguments as the notebook's, with XLA
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns when it falls back; try_rate reports it instead
            model.compile(optimizer=keras.optimizers.Adam(NB["PEAK_LEARNING_RATE"]),
                          loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"], jit_compile=True)
        model.xla_requested = True
    return model


def section_throughput(step_rates, work, matmul, cpu):
    theoretical, _ = theoretical_peak(cpu)
    lines = ["## Training throughput against the peak", "",
             "Train step alone (`train_on_batch` on one fixed batch, as in the next section; each call adds Keras's "
             "own overhead, which weighs most at the recipe's batch of 32), converted to GFLOP/s with the work per "
             "image, as a share of the matrix "
             "product measured in this run and of the theoretical peak.", "",
             "| model (batch) | training images/s | GFLOP/s | share of the faster matrix product "
             "| share of the theoretical peak |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, batch_size in [("recipe", RECIPE_BATCH_SIZE), ("stronger", BATCH_SIZE)]:
        gflops = step_rates[name].scaled(work[name] / 1e9)
        lines.append(f"| {name} ({batch_size}) | {step_rates[name].format()} | {gflops.format()} | "
                     f"{100 * gflops.median / matmul.median:.0f}% | {100 * gflops.median / theoretical:.0f}% |")
    lines += ["", "Shares are of medians. Small layers, small batches and memory-bound pooling and normalisation "
              "keep both models far below a large matrix product.", ""]
    return lines


# --- 6. what determinism costs -----------------------------------------------------------------

def determinism_rates(train_raw, repeats):
    """Train-step rates of both models in this process, whatever its determinism setting: {name: [images/s]}."""
    batches = {"recipe": first_batch(train_raw, RECIPE_BATCH_SIZE), "stronger": first_batch(train_raw, BATCH_SIZE)}
    return {name: train_step_rate(make(), batches[name], repeats, steps).values
            for name, make, steps in [("recipe", recipe_model, 100), ("stronger", strong_model, 25)]}


AUGMENTATION_LAYERS = {"rotate", "zoom", "shear", "shift", "low_resolution"}


def without_augmentation_layers(model, jit_compile):
    """The stronger model without its augmentation layers (which XLA cannot compile; they would move into the
    input pipeline), compiled as the notebook compiles it, with or without XLA."""
    x = inputs = keras.Input(shape=(28, 28, 1))
    for layer in model.layers[1:]:
        x = x if layer.name in AUGMENTATION_LAYERS else layer(x)
    stripped = keras.Model(inputs, x)
    stripped.compile(optimizer=keras.optimizers.Adam(NB["PEAK_LEARNING_RATE"]),
                     loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"], jit_compile=jit_compile)
    return stripped


def xla_rates(train_raw, repeats):
    """Only where deterministic ops are off: the stronger model without its augmentation, without and with XLA."""
    batch = first_batch(train_raw, BATCH_SIZE)
    rates = {}
    for jit_compile in (False, True):
        model = without_augmentation_layers(strong_model(), jit_compile)
        assert model.jit_compile == jit_compile, "Keras would not compile this model as asked"
        rates["XLA" if jit_compile else "no XLA"] = train_step_rate(model, batch, repeats, 25).values
    return rates


def section_determinism(train_raw, repeats):
    """With deterministic ops (this process) and without (a child process: TensorFlow has no public API to switch
    them off again)."""
    on = determinism_rates(train_raw, repeats)
    command = [sys.executable, __file__, "--repeats", str(repeats), "--determinism-off-worker"]
    child = subprocess.run(command, capture_output=True, text=True)
    found = [line for line in child.stdout.splitlines() if line.startswith("RATES ")]
    if child.returncode or not found:
        raise SystemExit(f"the process without deterministic ops failed:\n{child.stderr[-3000:]}")
    off = json.loads(found[0][6:])
    xla = json.loads(next(line for line in child.stdout.splitlines() if line.startswith("XLA "))[4:])
    again = determinism_rates(train_raw, repeats)
    lines = ["## What deterministic ops cost", "",
             "The notebook asks TensorFlow for deterministic ops (bit-identical results on every run). Train step "
             "alone, with them (in this process, before and after) and without (in a second process, since "
             "TensorFlow has no public way to switch them off again).", "",
             "| model | with (images/s) | without (images/s) | cost (of medians) |", "| --- | ---: | ---: | ---: |"]
    for name in ("recipe", "stronger"):
        with_, without = Spread(on[name] + again[name]), Spread(off[name])
        lines.append(f"| {name} | {with_.format()} | {without.format()} | "
                     f"{100 * (1 - with_.median / without.median):+.0f}% |")
    lines += ["", "A positive cost means that determinism is slower. Every other section runs with it on.", ""]
    return lines, xla


# --- 7. ways to train the stronger model faster -----------------------------------------------

def try_rate(make, batch, repeats, steps):
    try:
        model = make()
        if getattr(model, "xla_requested", False) and not model.jit_compile:
            return None, ("Keras turned XLA off again: the model's `RandomTranslation` layer cannot be compiled, and "
                          "Keras does not compile with XLA while deterministic ops are on")
        return train_step_rate(model, batch, repeats, steps), ""
    except Exception as error:  # report what failed, and go on
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"


def section_faster(train_raw, batches, cpu, repeats, xla):
    bf16 = {"avx512_bf16", "amx_bf16"} & set(cpu["isa"])
    candidates = [
        ("notebook: batch 128, no XLA", lambda: strong_model(), batches["stronger"]),
        ("batch 256", lambda: strong_model(), first_batch(train_raw, 256)),
        ("batch 512", lambda: strong_model(), first_batch(train_raw, 512)),
        ("XLA (`jit_compile=True`), batch 128", lambda: strong_model(jit_compile=True), batches["stronger"]),
    ]
    if bf16:
        candidates.append(("mixed precision bfloat16, batch 128", lambda: strong_model(precision="bfloat16"),
                           batches["stronger"]))
    lines = ["## Training the stronger model faster: what each option buys", "",
             "Train step alone, images per second, under the notebook's settings (deterministic ops on). "
             f"The notebook's model is compiled without XLA (`jit_compile` = {strong_model().jit_compile}).", "",
             "| option | training images/s | against the notebook's |", "| --- | ---: | ---: |"]
    baseline, gains = None, {}
    for name, make, batch in candidates:
        steps = max(5, 3200 // int(batch[0].shape[0]))
        spread, failure = try_rate(make, batch, repeats, steps)
        if spread is None:
            lines.append(f"| {name} | not measured: {failure} | |")
            continue
        if baseline is None:
            if not name.startswith("notebook"):
                raise SystemExit(f"the notebook's own setting could not be measured: {failure}")
            baseline = spread
        gains[name] = spread.median / baseline.median
        lines.append(f"| {name} | {spread.format()} | {gains[name]:.2f}x |")
    best = max((name for name in gains if not name.startswith("notebook")), key=gains.get, default=None)
    if best is not None:
        lines += ["", f"The best option, {best}, runs at {gains[best]:.2f} times the notebook's rate"
                  + (": within a few percent, not worth a change that needs the accuracy measured again."
                     if gains[best] < 1.05 else ".")]
    no_xla, with_xla = Spread(xla["no XLA"]), Spread(xla["XLA"])
    lines += ["", "XLA measured where Keras allows it: in the second process (deterministic ops off), on the stronger "
              "model without its augmentation layers (they would move into the input pipeline), train step alone:", "",
              "| the stronger model without its augmentation layers, deterministic ops off | training images/s | "
              "against no XLA |", "| --- | ---: | ---: |",
              f"| no XLA | {no_xla.format()} | 1.00x |",
              f"| XLA (`jit_compile=True`) | {with_xla.format()} | {with_xla.median / no_xla.median:.2f}x |", ""]
    lines += ["Not tried: " + ("" if bf16 else "mixed precision in bfloat16, since this CPU has no bfloat16 "
              "units (neither avx512_bf16 nor amx_bf16), so it would only add conversions; ")
              + "the channels-first data layout, since TensorFlow's CPU kernel for 2-D convolution takes channels "
              "last (NHWC) only.",
              "A faster step is not yet a better notebook: a larger batch or another numeric path changes what the "
              "model learns, so each option is kept only after `benchmarks/seeds.py` shows the accuracy over seeds "
              "is not lower.", ""]
    return lines


# --- 8. time to reach a validation accuracy ----------------------------------------------------

class Stopwatch(keras.callbacks.Callback):
    """Validation accuracy every `every` training steps, against training time with every evaluation taken out."""

    def __init__(self, val_images, val_labels, every):
        super().__init__()
        self.val_images, self.val_labels, self.every = val_images, val_labels, every
        self.points, self.paused, self.steps = [], 0.0, 0

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_test_begin(self, logs=None):  # fit's own validation at the end of each epoch
        self.test_started = time.perf_counter()

    def on_test_end(self, logs=None):
        self.paused += time.perf_counter() - self.test_started

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps % self.every == 0:
            pause = time.perf_counter()
            predictions = np.concatenate([np.asarray(self.model(self.val_images[i:i + 1000], training=False))
                                          for i in range(0, len(self.val_images), 1000)]).argmax(axis=1)
            accuracy = float(np.mean(predictions == self.val_labels))
            self.paused += time.perf_counter() - pause
            self.points.append((self.steps, time.perf_counter() - self.started - self.paused, accuracy))


def first_reaching(points, target, steps_per_epoch):
    for steps, seconds, accuracy in points:
        if accuracy >= target:
            return f"{seconds:.0f} s ({steps / steps_per_epoch:.2f} epochs)"
    return f"not in {points[-1][0] / steps_per_epoch:.2f} epochs"


def section_time_to_accuracy(train_raw, val_raw, quick):
    val_images, val_labels = NB["to_numpy"](val_raw)
    val_images = val_images.astype("float32") / 255
    val_ds = NB["make_evaluation_pipeline"](val_raw, BATCH_SIZE)
    runs = []
    recipe_epochs = 2 if quick else 6
    steps = NB["steps_per_epoch"](train_raw, RECIPE_BATCH_SIZE)
    watch = Stopwatch(val_images, val_labels, steps // 4)
    print("  recipe ...", flush=True)
    run = NB["train_recipe"](train_raw, val_ds, NB["SEED"], RECIPE_BATCH_SIZE, 1.0, recipe_epochs, verbose=0,
                             callbacks=[watch])
    runs.append((f"recipe, {recipe_epochs} epochs (threshold 1.0, so no early stop)", watch.points, steps,
                 RECIPE_BATCH_SIZE, run.seconds - watch.paused))
    if not quick:
        steps = NB["steps_per_epoch"](train_raw, BATCH_SIZE)
        watch = Stopwatch(val_images, val_labels, steps // 4)
        print("  stronger model ...", flush=True)
        run = NB["train_strong"](train_raw, val_ds, NB["SEED"], BATCH_SIZE, NB["STRONG_EPOCHS"],
                                 NB["PEAK_LEARNING_RATE"], NB["AUGMENTATION"], NB["DROPOUT_RATE"], verbose=0,
                                 callbacks=[watch])
        runs.append((f"stronger, {NB['STRONG_EPOCHS']} epochs (the notebook's schedule)", watch.points, steps,
                     BATCH_SIZE, run.seconds - watch.paused))
    lines = ["## Time to reach a validation accuracy", "",
             "The notebook's `train_recipe` and `train_strong`, seed 42, **a single run each**. Validation accuracy "
             "every quarter epoch; the clock counts training only (every evaluation is taken out). "
             + ("" if not quick else "Quick mode: the stronger model's training is left out. "), "",
             "| model | to 98% | to 99% | to 99.5% | last point |", "| --- | --- | --- | --- | ---: |"]
    for name, points, per_epoch, _, _ in runs:
        cells = " | ".join(first_reaching(points, target, per_epoch) for target in (0.98, 0.99, 0.995))
        lines.append(f"| {name} | {cells} | {points[-1][2]:.4f} after {points[-1][1]:.0f} s |")
    lines += ["", "Over each whole run, `fit` (its validation and the stopwatch's taken out) trained "
              + "; ".join(f"the {name.split(',')[0]} model at {points[-1][0] * batch / seconds:,.0f} images/s"
                          for name, points, _, batch, seconds in runs)
              + " (single runs, timed by the training function's own clock; the last batch of an epoch is smaller, "
              "so this is slightly high), against the train step alone above: the rest is `fit`'s own work per step "
              "and the input pipeline's. A callback that acts after every batch, as this stopwatch does, makes "
              "Keras wait for each step, so these runs may be a little slower than the notebook's.", ""]
    return lines


# --- 9. reading one image ---------------------------------------------------------------------

def per_call(function, calls):
    function()
    return Spread([1000 * seconds_of(function) for _ in range(calls)])


def section_latency(test_raw, repeats):
    model = strong_model()  # an untrained model: the weights do not change the time
    images, _ = NB["to_numpy"](test_raw.take(1))
    digit = images[0]
    photo = NB["ink_on_paper"](digit, 30, (1000, 1000), (80, 80), 215, 6, 0)  # 1000x1000, the digit 840 px
    folder = Path(tempfile.mkdtemp())
    NB["Image"].fromarray(photo).save(folder / "photo.jpg", quality=90)
    inputs = {"28x28 array (uint8)": digit[..., 0], "1000x1000 array (uint8)": photo,
              "1000x1000 JPEG file": folder / "photo.jpg"}
    calls = 10 * repeats
    batch = NB["preprocess_digit_image"](digit[..., 0])[np.newaxis]
    lines = ["## Reading one image", "",
             f"The stronger model (the one part 3 uses), {calls} calls each, in milliseconds: median (fastest to "
             "slowest call).", "",
             "| input | `preprocess_digit_image` | `predict_digit` (preprocessing and model) |",
             "| --- | ---: | ---: |"]
    for name, image in inputs.items():
        prepare = per_call(lambda image=image: NB["preprocess_digit_image"](image), calls)
        whole = per_call(lambda image=image: NB["predict_digit"](model, image), calls)
        lines.append(f"| {name} | {prepare.format('.2f', count='calls')} | {whole.format('.2f', count='calls')} |")
    ways = {"`model(batch, training=False)`, as `predict_digit` calls it": lambda: model(batch, training=False),
            "`model.predict(batch)`": lambda: model.predict(batch, verbose=0)}
    spreads = {name: per_call(call, calls) for name, call in ways.items()}
    lines += ["", "The model alone, on one prepared image:", "", "| call | milliseconds |", "| --- | ---: |"]
    lines += [f"| {name} | {spread.format('.2f', count='calls')} |" for name, spread in spreads.items()]
    direct, predict = spreads.values()
    ratio = predict.median / direct.median
    if ratio > 1:
        verdict = (f"Calling the model directly is {ratio:.1f} times as fast as `predict` for one image (medians; "
                   f"{predict.low / direct.high:.1f} times comparing `predict`'s fastest call with the direct call's "
                   "slowest): `predict` sets up a data pipeline and a loop on every call.")
    else:
        verdict = f"Here `predict` was not slower than calling the model directly (ratio of medians {ratio:.1f})."
    lines += ["", verdict, ""]
    return lines


# --- 10. augmentation -------------------------------------------------------------------------

def section_augmentation(batch, step_rate, repeats):
    images = batch[0]
    keras.utils.set_random_seed(NB["SEED"])
    chain = NB["augmentation_layers"](**NB["AUGMENTATION"])  # the notebook's layers, with its settings

    def all_of_them(x):
        for layer in chain:
            x = layer(x, training=True)
        return x

    candidates = {f"{layer.name} ({type(layer).__name__})": layer for layer in chain}
    candidates["all of them, in the notebook's order"] = all_of_them
    step_micro = 1e6 / step_rate.median
    lines = ["## Augmentation cost", "",
             f"The notebook's augmentation layers on one batch of {int(images.shape[0])} images in training mode, "
             "20 batches per repetition, in microseconds per image; beside it, the stronger model's whole train step "
             f"takes {step_micro:.0f} microseconds per image (the median of the train step alone, above).", "",
             "| layer | microseconds per image | share of the train step |", "| --- | ---: | ---: |"]
    for name, layer in candidates.items():
        step = tf.function(lambda x, layer=layer: layer(x) if layer is all_of_them else layer(x, training=True))
        per_image = rate(lambda step=step: [step(images) for _ in range(20)], 20 * int(images.shape[0]), repeats)
        micro = Spread([1e6 / value for value in per_image.values])
        lines.append(f"| {name} | {micro.format('.1f')} | {100 * micro.median / step_micro:.0f}% |")
    lines += [""]
    return lines


# --- the report -------------------------------------------------------------------------------

def main():
    args = parse_args()
    started = time.perf_counter()
    keras.utils.set_random_seed(NB["SEED"])
    keep = 100 - NB["VALIDATION_PERCENT"]
    (train_raw, val_raw, test_raw), _ = NB["load_mnist"]([f"train[:{keep}%]", f"train[{keep}%:]", "test"])
    if args.determinism_off_worker:
        print("RATES " + json.dumps(determinism_rates(train_raw, args.repeats)), flush=True)
        print("XLA " + json.dumps(xla_rates(train_raw, args.repeats)), flush=True)
        return
    tf.config.experimental.enable_op_determinism()  # the notebook's setting
    cpu = cpu_facts()
    command = "python benchmarks/benchmark.py" + (" --quick" if args.quick else "")
    lines = ["# Benchmark results", "",
             f"The output of `{command}`, run on the machine below. Figures are medians with the slowest and fastest "
             f"of {args.repeats} repetitions, unless marked as a single run.", ""]
    lines += section_machine(cpu)
    print("Matrix product ...", flush=True)
    matmul, matmul_lines = section_matmul_peak(cpu, 1024 if args.quick else 2048, args.repeats)
    lines += matmul_lines
    models = {"recipe": recipe_model(), "stronger": strong_model()}
    work, flops_lines = section_flops(models)
    print("Train steps and pipeline ...", flush=True)
    batches = {"recipe": first_batch(train_raw, RECIPE_BATCH_SIZE), "stronger": first_batch(train_raw, BATCH_SIZE)}
    step_rates = {"recipe": train_step_rate(models["recipe"], batches["recipe"], args.repeats, 100),
                  "stronger": train_step_rate(models["stronger"], batches["stronger"], args.repeats, 25)}
    lines += flops_lines + section_throughput(step_rates, work, matmul, cpu)
    lines += section_pipeline(train_raw, step_rates, args.repeats)
    print("Determinism ...", flush=True)
    determinism_lines, xla = section_determinism(train_raw, args.repeats)
    lines += determinism_lines
    print("Faster training ...", flush=True)
    lines += section_faster(train_raw, batches, cpu, args.repeats, xla)
    print("Time to accuracy ...", flush=True)
    lines += section_time_to_accuracy(train_raw, val_raw, args.quick)
    print("Reading one image ...", flush=True)
    lines += section_latency(test_raw, args.repeats)
    print("Augmentation ...", flush=True)
    lines += section_augmentation(batches["stronger"], step_rates["stronger"], args.repeats)
    lines += [f"Whole benchmark: {(time.perf_counter() - started) / 60:.1f} minutes.", ""]
    report = "\n".join(lines)
    print("\n" + report)
    Path(args.output).write_text(report, encoding="utf-8")
    print(f"Written to {args.output}")


if __name__ == "__main__":
    main()
