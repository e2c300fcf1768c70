"""The teaching parts of the notebook: folded helper cells, short cells, links between sections,
the dense baseline and the shift experiment's helpers, ties in the confusion lists, and the cells
that check the reader's answers to the two "Try it" exercises."""

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CELLS = json.loads((ROOT / "mnist_cnn.ipynb").read_text(encoding="utf-8"))["cells"]
# Code cells allowed over MAX_LINES, each with the reason.
LONG_CELLS = {"canvas-01": "the canvas's browser half: one ES module and its CSS, as one string; folded"}
MAX_LINES = 25


def source(cell):
    return "".join(cell["source"])


def cell(cell_id):
    return next(c for c in CELLS if c["id"] == cell_id)


def test_folded_cells_are_folded_in_jupyterlab_and_colab_alike():
    folded = [c for c in CELLS if c["metadata"].get("jupyter", {}).get("source_hidden")]
    titled = [c for c in CELLS if source(c).startswith("# @title ")]
    assert len(folded) >= 15
    assert [c["id"] for c in folded] == [c["id"] for c in titled]
    for c in folded:
        assert c["cell_type"] == "code" and c["metadata"].get("cellView") == "form", c["id"]


def test_code_cells_are_short():
    long = {c["id"]: len(source(c).splitlines()) for c in CELLS
            if c["cell_type"] == "code" and len(source(c).splitlines()) > MAX_LINES}
    assert long.keys() == LONG_CELLS.keys(), long


def test_every_code_cell_follows_markdown_or_continues_one_step():
    """No run of more than two code cells without a markdown cell saying why."""
    run = 0
    for c in CELLS:
        run = run + 1 if c["cell_type"] == "code" else 0
        assert run <= 3, f"cell {c['id']} is the 4th code cell in a row"


def anchor(heading):
    return heading.strip().replace(" ", "-")


def test_links_between_sections_lead_to_headings():
    headings = {anchor(line.lstrip("#")) for c in CELLS if c["cell_type"] == "markdown"
                for line in source(c).splitlines() if line.startswith("#")}
    links = {link for c in CELLS if c["cell_type"] == "markdown"
             for link in re.findall(r"\]\(#([^)]+)\)", source(c))}
    assert links and links <= headings, links - headings


def test_each_deep_dive_says_where_the_core_path_goes_on():
    banners = [source(c) for c in CELLS if c["cell_type"] == "markdown" and "*Deep dive" in source(c)]
    assert len(banners) >= 5
    for text in banners:
        assert re.search(r"\*Deep dive[^*]*core path[^*]*\]\(#[^)]+\)[^*]*\*", text), text


def test_dense_baseline_has_about_the_recipes_size_and_no_convolution(nb):
    model = nb["build_dense_model"]()
    assert model.count_params() == 101_770
    assert not any("conv" in layer.name for layer in model.layers)


def test_shift_sideways_moves_columns_and_fills_with_background(nb):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.testing.assert_array_equal(nb["shift_sideways"](images, 0), images)
    shifted = nb["shift_sideways"](images, 3)
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    np.testing.assert_array_equal(shifted[:, :, :3], 0)
    np.testing.assert_array_equal(shifted[:, :, 3:], images[:, :, :-3])
    left = nb["shift_sideways"](images[..., np.newaxis], -5)[..., 0]
    np.testing.assert_array_equal(left[:, :, -5:], 0)
    np.testing.assert_array_equal(left[:, :, :-5], images[:, :, 5:])


def test_top_confusions_keep_ties_with_the_last_place(nb):
    counts = np.diag([100] * 10)
    for true, predicted, count in [(9, 4, 5), (2, 7, 4), (3, 5, 3), (5, 3, 3), (8, 3, 3), (1, 7, 2)]:
        counts[true, predicted] = count
    assert nb["top_confusions"](counts, n=3) == [(9, 4, 5), (2, 7, 4), (3, 5, 3), (5, 3, 3), (8, 3, 3)]
    assert nb["top_confusions"](counts, n=2) == [(9, 4, 5), (2, 7, 4)]
    lines = nb["describe_errors"]("the model", counts, n=3)
    assert "(5 listed: place 3 is shared)" in lines[2]
    assert "misreads 9 most often (5 errors)" in lines[1]
    assert "0, 4, 6 and 7 least often (0 errors each)" in lines[1]


def run_cell(cell_id, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source(cell(cell_id)), namespace)
    return out.getvalue()


@pytest.mark.parametrize("answer, expected", [(None, "Your turn"), (512, "Right: 512"), (500, "Not 500"),
                                              ("512", "should be a whole number"), (True, "should be a whole number")])
def test_try_it_output_sizes_checks_the_answer(nb, answer, expected):
    namespace = {**nb, "recipe_model": nb["build_recipe_model"](), "your_flatten_size": answer}
    assert expected in run_cell("tryit-02", namespace)


def test_try_it_suspect_label_checks_the_index(nb, monkeypatch):
    shown = []
    monkeypatch.setattr(nb["plt"], "show", lambda: shown.append(nb["plt"].gcf()))
    labels = np.array([3, 5, 7])
    sure_five = np.eye(10)[[5, 5, 7]] * 0.95 + 0.005
    namespace = {**nb, "test_labels": labels, "test_images": np.zeros((3, 28, 28), np.uint8),
                 "recipe_probabilities": sure_five, "strong_probabilities": sure_five}
    assert "Your turn" in run_cell("tryit-05", {**namespace, "suspect_index": None})
    assert "Both models read it as 5" in run_cell("tryit-05", {**namespace, "suspect_index": 0})
    assert "Neither model disputes" in run_cell("tryit-05", {**namespace, "suspect_index": 1})
    sure_six = np.eye(10)[[6, 5, 7]] * 0.95 + 0.005
    assert "read different digits" in run_cell("tryit-05", {**namespace, "suspect_index": 0,
                                                            "strong_probabilities": sure_six})
    unsure = np.full((3, 10), 0.1)
    assert "One model disputes" in run_cell("tryit-05", {**namespace, "suspect_index": 0,
                                                         "strong_probabilities": unsure})
    assert len(shown) == 4  # a figure for each readable index
    for bad in (3, -1, 1.5, "0"):
        with pytest.raises(ValueError, match="suspect_index must be a whole number from 0 to 2"):
            run_cell("tryit-05", {**namespace, "suspect_index": bad})
