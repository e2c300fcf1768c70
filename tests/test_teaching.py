"""The teaching parts of the notebook: the core path's length and shape (read from the top to the
summary, appendices after it), folded helper cells, short cells, links between sections, the
questions and exercises, the dense baseline and the shift experiment's helpers, ties in the
confusion lists, and the cells that check the reader's answers to the three "Try it" exercises."""

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
LONG_CELLS = {"canvas-01": "the canvas's browser half: one ES module and its CSS, as one string; folded",
              "setup-01": "the environment's checks and the imports, one folded cell that must run first (issue 24)"}
# The core path (title to summary), as a newcomer reads it: at 200 words a minute, 4,500 words is 22 minutes.
MAX_CORE_WORDS, MAX_CORE_CODE_CELLS, MAX_WORDS = 4500, 45, 8000
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


def folded(c):
    return c["metadata"].get("jupyter", {}).get("source_hidden", False)


def test_every_code_cell_follows_markdown_or_continues_one_step():
    """No run of more than two visible code cells without a markdown cell saying why (folded helpers, which a
    reader need not read, are announced by the markdown cell before them and do not count)."""
    run = 0
    for c in CELLS:
        if c["cell_type"] == "markdown":
            run = 0
        elif not folded(c):
            run += 1
            assert run <= 2, f"cell {c['id']} is the 3rd visible code cell in a row"


def summary_index():
    return next(i for i, c in enumerate(CELLS) if c["cell_type"] == "markdown" and source(c).startswith("## Summary"))


def words(cells):
    return sum(len(source(c).split()) for c in cells if c["cell_type"] == "markdown")


def test_the_core_path_fits_a_newcomer():
    core = CELLS[:summary_index()]
    visible_code = [c for c in core if c["cell_type"] == "code" and not folded(c)]
    assert words(core) <= MAX_CORE_WORDS, f"the core path has {words(core)} words of markdown"
    assert len(visible_code) <= MAX_CORE_CODE_CELLS, f"the core path has {len(visible_code)} visible code cells"
    assert words(CELLS) <= MAX_WORDS, f"the notebook has {words(CELLS)} words of markdown"


def test_the_core_path_has_no_detour_and_the_appendices_follow_the_summary():
    core = "".join(source(c) for c in CELLS[:summary_index()])
    for detour in ("Deep dive", "deep dive", "skip to", "Skip to", "go on to"):
        assert detour not in core, f"the core path says {detour!r}"
    headings = [line for c in CELLS if c["cell_type"] == "markdown" for line in source(c).splitlines()
                if line.startswith("## ")]
    appendices = [h for h in headings if h.startswith("## Appendix")]
    assert len(appendices) >= 8 and headings[-len(appendices):] == appendices, headings
    assert headings.index("## Summary") < headings.index(appendices[0])


def test_each_appendix_says_what_it_uses_from_the_core_path():
    for c in CELLS:
        text = source(c)
        if c["cell_type"] == "markdown" and text.startswith("## Appendix") and "Glossary" not in text:
            opening = text.split("\n\n")[1]
            assert re.search(r"core path|part [123]|notebook computed", opening), opening


def test_questions_make_the_reader_think_and_fold_their_answers():
    questions = [source(c) for c in CELLS
                 if c["cell_type"] == "markdown" and "**Check your understanding.**" in source(c)]
    assert len(questions) >= 8
    for text in questions:
        after = text.split("**Check your understanding.**")[1]
        assert "<details><summary>Answer</summary>" in after, after[:80]
    exercises = [i for i, c in enumerate(CELLS) if c["cell_type"] == "markdown" and "**Try it:" in source(c)]
    assert len(exercises) >= 3
    for i in exercises:  # each exercise has an answer cell and a folded cell that checks it
        following = CELLS[i + 1:i + 3]
        assert [c["cell_type"] for c in following] == ["code", "code"] and folded(following[1])
    assert any(i > next(j for j, c in enumerate(CELLS) if source(c).startswith("## Use the model")) for i in exercises)


def anchor(heading):
    return heading.strip().replace(" ", "-")


def test_links_between_sections_lead_to_headings():
    headings = {anchor(line.lstrip("#")) for c in CELLS if c["cell_type"] == "markdown"
                for line in source(c).splitlines() if line.startswith("#")}
    links = {link for c in CELLS if c["cell_type"] == "markdown"
             for link in re.findall(r"\]\(#([^)]+)\)", source(c))}
    assert links and links <= headings, links - headings


def test_files_of_the_repository_are_named_not_linked():
    """Colab opens the notebook alone, so a relative link to a file breaks there: name the path instead, and
    every path named must exist."""
    markdown = "\n".join(source(c) for c in CELLS if c["cell_type"] == "markdown")
    relative = [link for link in re.findall(r"\]\(([^)#][^)]*)\)", markdown) if "://" not in link]
    assert not relative, relative
    named = set(re.findall(r"`((?:benchmarks|tests|images)/[^`\s]+)`", markdown))
    assert named and all((ROOT / path).exists() for path in named), [p for p in named if not (ROOT / p).exists()]


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


def test_try_it_forget_the_scaling_checks_the_guess(nb):
    keras, tf = nb["keras"], nb["tf"]
    sure_three = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(
        10, activation="softmax", kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(np.eye(10)[3] * 5))])  # reads every image as 3
    labels = np.array([3, 3, 5, 7])
    images = np.zeros((4, 28, 28, 1), np.uint8)
    namespace = {**nb, "strong_model": sure_three, "test_labels": labels, "strong_test_accuracy": 0.99,
                 "test_raw": tf.data.Dataset.from_tensor_slices((images, labels)), "BATCH_SIZE": 2,
                 "strong_probabilities": np.eye(10)[labels]}
    assert "Your turn" in run_cell("tryit-05", {**namespace, "your_guess": None})
    answer = run_cell("tryit-05", {**namespace, "your_guess": 0.5})
    assert "On raw bytes it reads 0.5000 of the test images (scaled: 0.9900)" in answer
    assert "Your guess is in the right range: 0.5 to 0.9." in answer
    assert "in the right range" in run_cell("tryit-05", {**namespace, "your_guess": 0.85}), "graded by range"
    assert "too high: 0.5 to 0.9." in run_cell("tryit-05", {**namespace, "your_guess": 0.95})
    assert "too low: 0.5 to 0.9." in run_cell("tryit-05", {**namespace, "your_guess": 0.1})
    for bad in (1.5, -0.1, "0.5", True):
        assert "your_guess must be a share from 0 to 1" in run_cell("tryit-05", {**namespace, "your_guess": bad})


def test_try_it_photo_checks_the_answer(nb, trained_recipe):
    model, (images, labels) = trained_recipe
    namespace = {**nb, "reloaded_model": model, "test_images": images[:1], "test_labels": labels[:1]}
    inverted = 255 - images[0, :, :, 0]
    photo = np.repeat(np.repeat(inverted, 3, axis=0), 3, axis=1)
    namespace["your_shrunk_read_right"] = False
    assert "Your turn" in run_cell("tryit-07", {**namespace, "your_photo": None})
    for unset in (None, 1, "False"):
        assert "Your turn" in run_cell("tryit-07", {**namespace, "your_photo": photo, "your_shrunk_read_right": unset})
    assert "at least 56 pixels" in run_cell("tryit-07", {**namespace, "your_photo": inverted})
    assert "uint8" in run_cell("tryit-07", {**namespace, "your_photo": photo.astype(np.float64)})
    not_inverted = np.repeat(np.repeat(images[0, :, :, 0], 3, axis=0), 3, axis=1)
    assert "does not look like" in run_cell("tryit-07", {**namespace, "your_photo": not_inverted})
    answer = run_cell("tryit-07", {**namespace, "your_photo": photo})
    assert f"Its label is {labels[0]}." in answer and f"Prepared by predict_digit, it reads {labels[0]} " in answer
    shrunk_wrong = "Only shrunk, the model reads it as " + str(labels[0]) not in answer
    assert ("the model reads the paper as ink" in answer) == shrunk_wrong
    # the reader predicted False (not read right): right when the shrunk photo is misread
    assert f"your prediction is {'right' if shrunk_wrong else 'wrong'}" in answer
    assert "Only shrunk, the model reads it as" in answer and "undid both changes" in answer
