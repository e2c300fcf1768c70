"""Run selected code cells of the tutorial notebook, without executing the whole notebook.

The notebook is the single source of its functions: cells tagged ``setup`` (environment and
imports) and ``helpers`` (function and class definitions, no training), and on request
``parameters`` (the defaults), are executed here, in notebook order, into a fresh namespace.
Tests and the benchmarks use that namespace.
"""

import json
import linecache
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent.parent / "mnist_cnn.ipynb"


def tagged_cells(tags):
    """The notebook's code cells that carry any of ``tags``, in order."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells
            if cell["cell_type"] == "code" and set(tags) & set(cell.get("metadata", {}).get("tags", []))]


def cell_sources(tags):
    """Sources of the notebook's code cells that carry any of ``tags``, in order."""
    return ["".join(cell["source"]) for cell in tagged_cells(tags)]


def load_notebook_code(tags=("setup", "helpers")):
    """Execute the tagged cells and return their namespace (a dict)."""
    namespace = {"__name__": "mnist_cnn_notebook"}
    for cell in tagged_cells(tags):
        source = "".join(cell["source"])
        # Named by the cell's id, not its place among the tagged cells: a load with other tags must not give
        # another cell's source the same name, or AutoGraph would read the wrong source for a function.
        filename = f"<{NOTEBOOK.name}, cell {cell['id']}>"
        # Register the source so that inspect (and so TensorFlow's AutoGraph) can read it back.
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace
