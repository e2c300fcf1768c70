"""Unit tests of the drawing canvas's Python half (part 3), without a browser.

The browser half is tested in tests/test_canvas_browser.py. Here the messages the page would send
are made by hand, from strokes whose digit is known: a good drawing must be read as that digit by a
trained model and shown as the model sees it (centred, MNIST's size), and a malformed message must get
a clear message in the widget, never an exception.
"""

import json
import math
import sys

import keras
import numpy as np
import pytest
from notebook_code import load_notebook_code
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 240, 120  # what the canvas sends


@pytest.fixture(scope="module")
def model():
    """An untrained model with the notebook's input and output shapes, for tests whose answer does not depend on
    the reading (the pixels shown, the messages refused)."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])


def drawing(strokes=(((0.25, 0.2), (0.75, 0.2), (0.45, 0.85)),), width=9, slots=((60, 120),)):
    """A 7 as the canvas sends it: black pen on white, WIDTH x HEIGHT, uint8. Each slot (left, side) is a square
    of the pad the strokes are drawn in, in the pad's pixels: one digit in the middle by default."""
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    pen = ImageDraw.Draw(image)
    for (left, side), digit_strokes in zip(slots, [strokes] if len(slots) == 1 else strokes):
        for stroke in digit_strokes:
            top = (HEIGHT - side) / 2
            pen.line([(left + x * side, top + y * side) for x, y in stroke], fill=0, width=width, joint="curve")
    return np.asarray(image)


def message(pixels=None, **changes):
    pixels = drawing() if pixels is None else pixels
    return {"type": "pixels", "width": pixels.shape[1], "height": pixels.shape[0],
            "data": pixels.ravel().tolist(), "sequence": 3, "view": "v1", **changes}


# Digits as a person draws them on the canvas: strokes in the unit square, each a list of (x, y) points.
DRAWN = {
    7: [((0.25, 0.2), (0.75, 0.2), (0.45, 0.85))],
    1: [((0.5, 0.15), (0.5, 0.85))],
    0: [tuple((0.5 + 0.22 * math.sin(a / 12 * math.tau), 0.5 - 0.33 * math.cos(a / 12 * math.tau)) for a in range(13))],
    4: [((0.6, 0.85), (0.6, 0.15), (0.25, 0.6), (0.75, 0.6))],
}


@pytest.mark.parametrize("digit", DRAWN)
def test_a_drawn_digit_is_read_as_that_digit(nb, trained_recipe, digit):
    """The answer is checked against the digit drawn, not against another path through the same code."""
    model, _ = trained_recipe
    reading = nb["read_canvas"](model, message(drawing(DRAWN[digit])))
    assert reading["status"] == "ok" and reading["sequence"] == 3 and reading["view"] == "v1"
    assert reading["number"] == str(digit) and len(reading["digits"]) == 1
    shown = reading["digits"][0]
    assert shown["digit"] == digit, shown["probabilities"]
    assert len(shown["probabilities"]) == 10 and math.isclose(sum(shown["probabilities"]), 1, abs_tol=1e-3)
    assert shown["probability"] == pytest.approx(max(shown["probabilities"]), abs=1e-4)


# 7104 across the pad: squares of 90 pixels, 58 apart, so that the pen's ink of neighbours never touches
NUMBER_SLOTS = tuple((58 * index - 17, 90) for index in range(4))


def test_a_drawn_number_is_read_digit_by_digit_with_a_box_each(nb, trained_recipe):
    model, _ = trained_recipe
    pixels = drawing([DRAWN[digit] for digit in (7, 1, 0, 4)], slots=NUMBER_SLOTS)
    reading = nb["read_canvas"](model, message(pixels))
    assert reading["status"] == "ok" and reading["number"] == "7104", reading
    boxes = [shown["box"] for shown in reading["digits"]]
    for (top, left, bottom, right), (slot_left, side) in zip(boxes, NUMBER_SLOTS):
        assert slot_left <= left < right <= slot_left + side, "each box should hold its own digit's ink, and only it"
        assert 0 <= top < bottom <= HEIGHT and (pixels[top:bottom, left:right] < 128).any()
    assert json.loads(json.dumps(reading)) == reading, "the reading travels to the browser as JSON"


def test_a_vertical_bar_is_shown_as_mnist_would_have_it(nb, model):
    """A 1 drawn as one vertical stroke: MNIST's conventions say 20 pixels tall, centred by mass on (14, 14)."""
    reading = nb["read_canvas"](model, message(drawing(DRAWN[1])))
    seen = np.array(reading["digits"][0]["seen"], float).reshape(28, 28)
    rows = np.flatnonzero(seen.max(axis=1) > 127)  # half-lit rows: the shift to the centre of mass blurs the ends
    assert 19 <= rows[-1] - rows[0] + 1 <= 21
    row, column = (np.indices(seen.shape) * seen).sum(axis=(1, 2)) / seen.sum()
    assert abs(row - 14) < 0.5 and abs(column - 14) < 0.5


def test_the_reading_shows_what_the_model_sees(nb, model):
    reading = nb["read_canvas"](model, message())
    seen = np.array(reading["digits"][0]["seen"]).reshape(28, 28)
    expected = np.round(255 * nb["preprocess_digit_image"](drawing())[..., 0])
    assert np.array_equal(seen, expected)
    assert seen.max() > 240 and seen[0].max() == 0, "light ink on black, as the model sees it"


def test_a_rectangular_drawing_is_read_too(nb, model):
    pixels = drawing()[:, 20:120]
    assert nb["read_canvas"](model, message(pixels))["status"] == "ok"


@pytest.mark.parametrize("pixels", [np.full((HEIGHT, WIDTH), 255, np.uint8), np.zeros((HEIGHT, WIDTH), np.uint8)],
                         ids=["white", "black"])
def test_an_empty_canvas_gets_a_hint_not_a_prediction(nb, model, pixels):
    reading = nb["read_canvas"](model, message(pixels))
    assert reading == {"sequence": 3, "view": "v1", "status": "empty", "message": nb["CANVAS_HINT"]}


def test_clear_gets_the_hint(nb, model):
    reading = nb["read_canvas"](model, {"type": "clear", "sequence": 7, "view": "v2"})
    assert reading == {"sequence": 7, "view": "v2", "status": "empty", "message": nb["CANVAS_HINT"]}


@pytest.mark.parametrize("bad, expected", [
    (message(data=drawing().ravel().tolist()[:-1]), "needs 28,800 pixel values, got 28,799 values"),
    (message(data=[]), "needs 28,800 pixel values, got 0 values"),
    (message(data="0,0,0"), "needs 28,800 pixel values, got str"),
    (message(data=[None] * WIDTH * HEIGHT), "must all be numbers from 0 to 255 (a NaN or infinity"),
    (message(data=[float("nan")] * WIDTH * HEIGHT), "must all be numbers from 0 to 255"),
    (message(data=[float("inf")] * WIDTH * HEIGHT), "must all be numbers from 0 to 255"),
    (message(data=[300] * WIDTH * HEIGHT), "must all be numbers from 0 to 255"),
    (message(data=[-1] * WIDTH * HEIGHT), "must all be numbers from 0 to 255"),
    (message(data=[10 ** 400] * WIDTH * HEIGHT), "must all be numbers from 0 to 255"),
    (message(data=["0"] * WIDTH * HEIGHT), "must all be numbers"),
    (message(data=[[0]] * WIDTH * HEIGHT), "must all be numbers"),
    (message(data=[True] * WIDTH * HEIGHT), "must all be numbers"),
    (message(width=0), "width must be a whole number from 1 to 1000, got 0"),
    (message(height=1.5), "height must be a whole number from 1 to 1000, got 1.5"),
    (message(width=True), "width must be a whole number"),
    (message(width=100_000, height=100_000), "width must be a whole number from 1 to 1000"),
    ({"type": "pixels"}, "width must be a whole number from 1 to 1000, got None"),
    ({"type": "unknown"}, "expected a message of type 'pixels' from the canvas"),
    ({}, "expected a message of type 'pixels' from the canvas, got {}"),
    ([1, 2, 3], "expected a message of type 'pixels' from the canvas, got [1, 2, 3]"),
    ({"type": "x", "data": list(range(10 ** 5))}, "got {'data': [0, 1, 2, 3, 4, 5, ...], 'type': 'x'}"),
    (message(pixels=np.full((2, 2), 255, np.uint8), data=[0, 255, 255, 255]), "no digit found"),
], ids=["one-short", "empty", "text", "null", "nan", "infinity", "too-bright", "negative", "too-large-for-a-float",
        "strings", "nested", "booleans", "zero-width", "fractional-height", "boolean-width", "huge", "no-size",
        "unknown-type", "empty-message", "not-a-dict", "long-message", "a-dot"])
def test_a_malformed_message_gets_a_clear_message(nb, model, bad, expected):
    reading = nb["read_canvas"](model, bad)
    assert reading["status"] == "error"
    assert reading["message"].startswith("Cannot read this drawing: ")
    assert expected in reading["message"]


def test_the_widget_answers_each_message_in_its_reading(nb, trained_recipe):
    canvas = nb["DigitCanvas"](trained_recipe[0])
    assert canvas.reading["status"] == "empty"
    canvas._on_canvas_message(canvas, message(), [])
    assert canvas.reading["status"] == "ok" and canvas.reading["number"] == "7" and canvas.reading["sequence"] == 3
    canvas._on_canvas_message(canvas, {"type": "pixels", "data": None}, [])  # must not raise
    assert canvas.reading["status"] == "error"
    canvas._on_canvas_message(canvas, {"type": "clear", "sequence": 9}, [])
    assert canvas.reading["status"] == "empty" and canvas.reading["sequence"] == 9


def test_an_unexpected_failure_is_shown_in_the_widget_not_raised(nb):
    class Broken:
        def __call__(self, *args, **kwargs):
            raise RuntimeError("the model is broken")

    canvas = nb["DigitCanvas"](Broken())
    canvas._on_canvas_message(canvas, message(), [])
    assert canvas.reading["status"] == "error"
    assert canvas.reading["message"] == "The canvas failed: RuntimeError: the model is broken"


def test_the_widget_falls_back_to_a_note_and_a_picture(nb, model):
    data, _ = nb["DigitCanvas"](model)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == nb["CANVAS_NOTE"]
    assert nb["CANVAS_NOTE"] in data["text/html"]


def test_without_anywidget_the_notebook_says_what_to_install(model, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "anywidget", None)  # as on Colab: `import anywidget` fails
    namespace = load_notebook_code()
    assert "DigitCanvas" not in namespace
    assert namespace["open_digit_canvas"](model) is None
    assert "%pip install anywidget" in capsys.readouterr().out
