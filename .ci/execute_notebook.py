"""Execute mnist_cnn.ipynb top to bottom in a kernel of this environment, as Colab's *Run all*
does, and check that it starts cleanly (used by .ci/colab-like; no output is compared).

    python .ci/execute_notebook.py --kernel NAME                # must run to the end, with no
                                                                # error and no Python warning
    python .ci/execute_notebook.py --kernel NAME --expect-fix   # must stop at once with one clear
                                                                # message; prints the command it names
    python .ci/execute_notebook.py --kernel NAME --expect-colab-fix  # as the first, and the first cell must
                                                                # say that it installed protobuf (prints which)

Either way the reader gets a working run or one message that says the one command to fix it.
"""

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK = Path(__file__).resolve().parent.parent / "mnist_cnn.ipynb"
WARNING = re.compile(r"\b\w*Warning\b")


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def errors(notebook):
    return [(index, output) for index, cell in enumerate(code_cells(notebook))
            for output in cell.get("outputs", []) if output.output_type == "error"]


def warnings_shown(notebook):
    """Python warnings a reader would see: on stderr, or in any text output."""
    found = []
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.output_type == "stream" else ""
            for line in text.splitlines():
                if WARNING.search(line):
                    found.append(f"code cell {index}: {line.strip()}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernel", required=True, help="the kernel (installed in this environment) to run")
    parser.add_argument("--expect-fix", action="store_true",
                        help="the notebook must stop in its first cells with one message naming a pip command")
    parser.add_argument("--expect-colab-fix", action="store_true",
                        help="the first code cell must install protobuf by itself, as on Colab, then run to the end")
    args = parser.parse_args()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=1800, kernel_name=args.kernel,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.perf_counter()
    try:
        client.execute()
        stopped = None
    except CellExecutionError as error:
        stopped = error
    minutes = (time.perf_counter() - started) / 60
    found = errors(notebook)

    if args.expect_fix:
        if stopped is None:
            sys.exit("expected the notebook to stop with a message naming a fix, but it ran to the end")
        if not found:
            sys.exit(f"the notebook stopped without an error output: {stopped}")
        index, output = found[0]
        message = output["evalue"]
        print(f"The notebook stopped in code cell {index} with {output['ename']}:\n{message}\n")
        command = re.search(r"^\s*%?(pip install \S+)\s*$", message, flags=re.MULTILINE)
        problems = []
        if len(found) != 1:
            problems.append(f"{len(found)} errors, not one")
        if index > 3:
            problems.append(f"it stopped in code cell {index}, not in the first cells (the imports)")
        if output["ename"] != "ImportError" or command is None:
            problems.append("the error is not one ImportError naming a pip command")
        frames = [line for line in output["traceback"] if "Traceback" in line or line.lstrip().startswith("File")]
        if len(output["traceback"]) > 8:
            problems.append(f"its traceback has {len(output['traceback'])} parts, a wall, not one message: {frames}")
        if problems:
            sys.exit("Not one clear message: " + "; ".join(problems))
        print(f"FIX: {command.group(1)}")
        return

    if stopped is not None:
        index, output = found[0] if found else (None, {})
        sys.exit(f"the notebook failed in code cell {index} after {minutes:.1f} min: "
                 f"{output.get('ename')}: {output.get('evalue')}")
    shown = warnings_shown(notebook)
    if shown:
        sys.exit("the notebook ran, but showed warnings a reader would wonder about:\n  " + "\n  ".join(shown))
    if args.expect_colab_fix:
        first = "".join(output.get("text", "") for output in code_cells(notebook)[0].get("outputs", []))
        installed = re.search(r"^On Colab: installed protobuf (\S+) in place of", first, flags=re.MULTILINE)
        if installed is None:
            sys.exit(f"expected the first code cell to install protobuf, as on Colab; it printed: {first!r}")
        print(f"COLAB-FIX: pip install protobuf=={installed.group(1)}")
    print(f"The notebook ran top to bottom in {minutes:.1f} min, with no error and no warning.")


if __name__ == "__main__":
    main()
