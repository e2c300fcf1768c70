"""Test accuracy of the notebook's models over several seeds: the evidence behind the floors
that the notebook asserts (TEST_ACCURACY_FLOOR, STRONG_TEST_ACCURACY_FLOOR).

Run from the repository root (about 4 minutes per seed of the stronger model on 2 CPU cores):

    python benchmarks/seeds.py --model strong --seeds 1 2 3

It prints a Markdown table and writes it to benchmarks/SEEDS-<model>.md. The recipe's spread
over 5 seeds is part of benchmarks/benchmark.py.
"""

import argparse
import time

from benchmark import BATCH_SIZE, NB, ROOT, load_data, recipe_seed_spread, seed_table

keras, tf, np = NB["keras"], NB["tf"], NB["np"]


def strong_run(seed, train_raw, val_raw, test_raw):
    """The notebook's stronger model, trained exactly as in part 2, from a freshly seeded state."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    train_ds = NB["make_training_pipeline"](train_raw, BATCH_SIZE, seed)
    schedule = NB["warmup_cosine_schedule"](int(train_ds.cardinality()), NB["STRONG_EPOCHS"],
                                            NB["PEAK_LEARNING_RATE"])
    model = NB["build_strong_model"](schedule, NB["WEIGHT_DECAY"], NB["MAX_SHIFT_PIXELS"], NB["DROPOUT_RATE"])
    start = time.perf_counter()
    history = model.fit(train_ds, validation_data=NB["make_evaluation_pipeline"](val_raw, BATCH_SIZE),
                        epochs=NB["STRONG_EPOCHS"], shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(NB["make_evaluation_pipeline"](test_raw, BATCH_SIZE), verbose=0)
    epochs = len(history.epoch)
    print(f"  strong seed {seed}: {epochs} epochs, {seconds:.0f} s, val accuracy "
          f"{history.history['val_accuracy'][-1]:.4f}, test accuracy {accuracy:.4f}", flush=True)
    return seed, epochs, seconds, accuracy, loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["recipe", "strong"], required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    args = parser.parse_args()
    train_raw, val_raw, test_raw = load_data()
    if args.model == "recipe":
        runs = recipe_seed_spread(train_raw, val_raw, test_raw, args.seeds)
    else:
        runs = [strong_run(seed, train_raw, val_raw, test_raw) for seed in args.seeds]
    table, summary = seed_table(runs)
    lines = [f"# Test accuracy of the {args.model} model over seeds", "",
             f"Written by `python benchmarks/seeds.py --model {args.model} --seeds "
             f"{' '.join(map(str, args.seeds))}`: the notebook's code and parameters, each seed from a "
             "freshly seeded state.", ""]
    lines += [*table, "", f"{summary}.", ""]
    report = "\n".join(lines)
    print("\n" + report)
    output = ROOT / "benchmarks" / f"SEEDS-{args.model}.md"
    output.write_text(report, encoding="utf-8")
    print(f"Written to {output.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
