"""What starting the input pipeline anew at every epoch costs: the notebook's stronger model trained with a
training pipeline that Keras restarts at each epoch, and with the same pipeline made endless by `.repeat()`
(then `fit` needs `steps_per_epoch`, and Keras keeps one pipeline for the whole run).

    python benchmarks/epoch_start.py        # 2 x 2 runs of 6 epochs, about 6 minutes on 2 CPU cores

For each epoch it records the wait before its first train step: the time from the start of the epoch to the
end of its first step, less the epoch's median step, and at least 0 (so a wait counts whether Keras spends it
before the step or inside it, fetching the first batch); and the epoch's seconds, validation included, and its
validation accuracy. Each way is run more than once from the same seed, and the script checks that its runs
give the same validation accuracy, epoch by epoch: the waits change nothing but time.
(The two ways do not see the same order from the second epoch on: without `.repeat()`, `fit` skips one of the
pipeline's shuffles. Each epoch is still one pass over the training set in a new order.)

Writes benchmarks/epoch-start.json and benchmarks/EPOCH-START.md.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from augmentation import first_paragraph, training_data
from seeds import cpu_model, load_notebook

HERE = Path(__file__).resolve().parent
WAYS = {"new pipeline each epoch": False, "one pipeline, .repeat()": True}


def train(nb, data, endless, epochs):
    """The stronger model (the notebook's build and parameters) for `epochs`; per-epoch waits and seconds."""
    keras = nb["keras"]

    class Stopwatch(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.waits, self.seconds = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.start, self.steps = time.perf_counter(), []

        def on_train_batch_begin(self, batch, logs=None):
            self.step_start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            if not self.steps:
                self.first_step_end = now
            self.steps.append(now - self.step_start)

        def on_epoch_end(self, epoch, logs=None):
            self.waits.append(max(0.0, self.first_step_end - self.start - statistics.median(self.steps)))
            self.seconds.append(time.perf_counter() - self.start)

    keras.utils.set_random_seed(nb["SEED"])
    batches = nb["steps_per_epoch"](data["train_raw"], nb["BATCH_SIZE"])
    train_ds = nb["make_training_pipeline"](data["train_raw"], nb["BATCH_SIZE"], nb["SEED"])
    schedule = nb["warmup_cosine_schedule"](batches, epochs, nb["PEAK_LEARNING_RATE"])
    model = nb["build_strong_model"](schedule, nb["AUGMENTATION"], nb["DROPOUT_RATE"])
    stopwatch = Stopwatch()
    fit = dict(steps_per_epoch=batches) if endless else {}
    history = model.fit(train_ds.repeat() if endless else train_ds, validation_data=data["val_ds"], epochs=epochs,
                        shuffle=False, verbose=0, callbacks=[stopwatch], **fit)
    return {"waits": [round(wait, 2) for wait in stopwatch.waits],
            "epoch_seconds": [round(seconds, 1) for seconds in stopwatch.seconds],
            "val_accuracy": history.history["val_accuracy"]}


def report(record):
    title = "What starting the input pipeline anew at every epoch costs"
    lines = [f"# {title}", "", first_paragraph(title, __doc__), "",
             f"Measured on {record['machine']}: {record['repeats']} runs of {record['epochs']} epochs each way, "
             "taken in turn. Seconds; the first epoch also traces the model and fills the cache.", "",
             "| way | run | wait before each epoch's first step | seconds per epoch, validation included | "
             "all epochs |",
             "| --- | ---: | --- | --- | ---: |"]
    for way, runs in record["runs"].items():
        for number, run in enumerate(runs, 1):
            lines.append(f"| {way} | {number} | {', '.join(f'{max(w, 0):.1f}' for w in run['waits'])} | "
                         f"{', '.join(f'{s:.1f}' for s in run['epoch_seconds'])} | {sum(run['epoch_seconds']):.0f} |")
    summary = {way: [max(wait, 0) for run in runs for wait in run["waits"][1:]] for way, runs in record["runs"].items()}
    lines += ["", "Epochs after the first that waited more than half a second before their first step:", ""]
    lines += [f"- {way}: {sum(wait > 0.5 for wait in waits)} of {len(waits)} (longest {max(waits):.1f} s, median "
              f"{statistics.median(waits):.2f} s)" for way, waits in summary.items()]
    lines += ["", "Each way's runs give the same validation accuracy, epoch by epoch: "
              f"{record['same_results']}."]
    (HERE / "EPOCH-START.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(repeats=2, epochs=6):
    assert epochs >= 2, "the waits that matter come at the start of the second and later epochs"
    nb = load_notebook()
    data = training_data(nb)
    runs = {way: [] for way in WAYS}
    for _ in range(repeats):
        for way, endless in WAYS.items():
            runs[way].append(train(nb, data, endless, epochs))
            print(way, runs[way][-1], flush=True)
    same = all(run["val_accuracy"] == way_runs[0]["val_accuracy"] for way_runs in runs.values() for run in way_runs)
    record = {"machine": f"{cpu_model()}, {os.cpu_count()} CPUs", "repeats": repeats, "epochs": epochs,
              "same_results": same, "runs": runs}
    (HERE / "epoch-start.json").write_text(json.dumps(record, indent=1) + "\n")
    report(record)


if __name__ == "__main__":
    main()
