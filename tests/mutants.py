"""Apply five realistic regressions to a copy of the project, one at a time, and report which of CI's tests
catch each (issue 23). Not part of CI: each mutant runs the whole test command, nbval included.

    python tests/mutants.py                  # all five, about 6 minutes each on 2 CPU cores
    python tests/mutants.py --only dropout   # one of them

Each mutant edits one cell of a copy of the working tree's mnist_cnn.ipynb (the stored outputs stay, so
nbval compares the mutant's run with the real one), then runs `pytest` there, as CI's first test step does
(the browser test is left out: no mutant touches the canvas). The report goes to the terminal and to
benchmarks/MUTANTS.md, with the failing tests of each mutant; a mutant that fails nothing is a test gap.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name: (what it does, cell id, text in that cell, what replaces it)
MUTANTS = {
    "labels": ("20% of the training labels shuffled among themselves", "cell-014",
               '(train_raw, val_raw, test_raw), info = load_mnist([train_split, validation_split, "test"])',
               '(train_raw, val_raw, test_raw), info = load_mnist([train_split, validation_split, "test"])\n'
               "_images, _labels = map(np.stack, zip(*tfds.as_numpy(train_raw)))\n"
               "_chosen = np.random.default_rng(0).choice(len(_labels), len(_labels) // 5, replace=False)\n"
               "_labels[_chosen] = _labels[np.random.default_rng(1).permutation(_chosen)]\n"
               "train_raw = tf.data.Dataset.from_tensor_slices((_images, _labels))"),
    "augmentation": ("the stronger model trained without its augmentation", "cell-077",
                     "    for layer in augmentation_layers(**augmentation):\n        x = layer(x)\n", ""),
    "centring": ("preprocess_digit_image without centring by centre of mass (the box is centred instead)",
                 "c5a197fe",
                 "centered = np.clip(ndimage.shift(canvas, (center - row, center - column), order=1), 0, 1)",
                 "centered = canvas"),
    "dropout": ("the stronger model's dropout removed", "cell-077",
                'x = layers.Dropout(dropout_rate, name="dropout")(layers.Flatten(name="flatten")(x))',
                'x = layers.Flatten(name="flatten")(x)'),
    "epochs": ("half of part 2's epochs (train_strong trains and schedules STRONG_EPOCHS // 2)", "cell-083",
               "    keras.utils.set_random_seed(seed)\n    train_ds = make_training_pipeline(",
               "    epochs //= 2\n    keras.utils.set_random_seed(seed)\n    train_ds = make_training_pipeline("),
}


def copy_project(destination):
    """The working tree's files that git tracks or would track (uncommitted changes included)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def mutate(notebook, cell_id, old, new):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["id"] == cell_id)
    text = "".join(cell["source"])
    if text.count(old) != 1:
        raise SystemExit(f"cell {cell_id} no longer holds the text this mutant changes: update tests/mutants.py")
    lines = text.replace(old, new).split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def failures(junit):
    """The failed or erroring tests in a JUnit XML report, as pytest names them."""
    found = []
    for case in ElementTree.parse(junit).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            found.append(f"{case.get('classname')}::{case.get('name')}")
    return found


def run(name):
    description, cell_id, old, new = MUTANTS[name]
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder)
        copy_project(copy)
        mutate(copy / "mnist_cnn.ipynb", cell_id, old, new)
        started = time.perf_counter()
        env = {key: value for key, value in os.environ.items() if key != "MNIST_CNN_BROWSER_TEST"}
        subprocess.run([sys.executable, "-m", "pytest", "-q", "--junitxml", "junit.xml",
                        "--ignore", "tests/test_canvas_browser.py"], cwd=copy, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        failed = failures(copy / "junit.xml")
    return {"mutant": name, "change": description, "caught": bool(failed), "failed": failed,
            "minutes": round((time.perf_counter() - started) / 60, 1)}


def report(results):
    lines = ["# Mutants: does CI's test command catch a real regression?", "",
             "Written by `python tests/mutants.py`: each mutant edits one cell of a copy of the notebook and runs "
             "`pytest` there (unit tests, nbval, then tests/test_results.py; the browser test left out).", "",
             "The last columns count the failing tests: all of them, nbval's cells among them, and the figures "
             "`tests/test_results.py` found outside the records' bounds (a regression seen in the results, on any "
             "machine, not only in the code's printed structure).", "",
             "| mutant | change | caught | failing tests | nbval cells | figures out of bounds | minutes |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['mutant']} | {r['change']} | {'yes' if r['caught'] else '**no**'} | {len(r['failed'])} | "
              f"{sum('.ipynb' in test for test in r['failed'])} | "
              f"{sum('test_results' in test for test in r['failed'])} | {r['minutes']} |" for r in results]
    for r in results:
        lines += ["", f"## {r['mutant']}: {r['change']}", ""]
        lines += [f"- `{test}`" for test in r["failed"]] or ["- nothing failed: a gap in the tests"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(MUTANTS), nargs="+")
    args = parser.parse_args()
    results = []
    for name in args.only or list(MUTANTS):
        print(f"mutant {name}: {MUTANTS[name][0]} ...", flush=True)
        results.append(run(name))
        print(f"  caught: {results[-1]['caught']}, {len(results[-1]['failed'])} failing tests, "
              f"{results[-1]['minutes']} min", flush=True)
    text = report(results)
    print("\n" + text)
    if not args.only:
        (ROOT / "benchmarks" / "MUTANTS.md").write_text(text)
        (ROOT / "benchmarks" / "mutants.json").write_text(json.dumps(results, indent=1) + "\n")
    if not all(r["caught"] for r in results):
        raise SystemExit("a mutant was not caught")


if __name__ == "__main__":
    main()
