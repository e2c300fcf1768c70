"""Saying "this is not a digit" (issue 22): the drawings that are not digits, the detector on the stronger
model's features, and the canvas's note when a drawing does not look like a digit."""

import numpy as np
import pytest
from test_canvas import DRAWN, NUMBER_SLOTS, drawing, message


@pytest.fixture(scope="module")
def model(nb):
    """A small untrained model with the layer names the detector reads: "flatten", then "probabilities"."""
    keras = nb["keras"]
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(name="flatten"),
                             keras.layers.Dense(10, activation="softmax", name="probabilities")])


class Fixed:
    """A stand-in detector whose probability that an image is a digit is always `score`."""

    def __init__(self, score):
        self.score = score

    def predict_proba(self, features):
        return np.tile([1 - self.score, self.score], (len(features), 1))


def per_piece(*digit_like):
    """A stand-in for the canvas's detector: the pieces of a drawing, left to right, look like a digit or not."""
    def detector(model, images):
        assert len(images) == len(digit_like), "one answer per piece read"
        return digit_like
    return detector


def test_non_digits_come_in_every_kind_and_are_repeatable(nb):
    images, kinds = nb["make_non_digits"](per_kind=3, seed=5)
    assert kinds.tolist() == [kind for kind in nb["NON_DIGIT_KINDS"] for _ in range(3)]
    again, _ = nb["make_non_digits"](per_kind=3, seed=5)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(images, again))
    for image in images:  # each one has ink to read: a drawing, not a blank page
        assert nb["preprocess_digit_image"](image).max() > 0.5


def test_each_letter_arrives_in_more_than_one_way(nb, monkeypatch):
    """Deliveries are drawn at random. In turn, with nine letters and three sources, each letter would always come
    photographed, or always scanned, and a detector could learn the delivery instead of the shape."""
    delivered = []

    def source(name):
        def deliver(ink, rng):
            delivered.append(name)
            return ink
        return deliver, (60, 100)

    monkeypatch.setitem(nb, "CHECK_SOURCES", {name: source(name) for name in ("photo", "scan", "export")})
    letters = len(nb["LETTERS"])
    _, kinds = nb["make_non_digits"](per_kind=8 * letters, seed=5)
    by_letter = [set(np.array(delivered)[kinds == "letter"][index::letters]) for index in range(letters)]
    assert all(len(ways) > 1 for ways in by_letter), by_letter
    assert set(delivered) == {"photo", "scan", "export"}


def test_letters_are_no_digit_lookalikes(nb):
    assert not set(nb["LETTERS"]) & set("OoIlSsZzBGgq"), "a letter that looks like a digit is not a fair non-digit"


def test_the_detector_fits_its_training_images(nb, model):
    """A smoke test of the plumbing (features, network, scores, which column is "digit"): how well the detector
    does on drawings it never saw is measured by benchmarks/not_a_digit.py, not here."""
    digits = np.stack([nb["preprocess_digit_image"](drawing()) for _ in range(2)])  # a 7
    digits = np.concatenate([digits, nb["drawn_digits"](2, seed=3)])
    non_digits = np.stack([nb["preprocess_digit_image"](image) for image in nb["make_non_digits"](6, seed=4)[0]])
    detector = nb["train_digit_detector"](model, digits, non_digits, seed=0)
    assert np.mean(nb["digit_scores"](detector, model, digits) > 0.5) > 0.9  # on its own training images
    assert np.mean(nb["digit_scores"](detector, model, non_digits) < 0.5) > 0.9


@pytest.mark.parametrize("digit_like, note", [(False, "but this does not look like a digit"), (True, "")])
def test_the_canvas_says_when_a_drawing_is_not_a_digit(nb, model, digit_like, note):
    reading = nb["read_canvas"](model, message(), detector=per_piece(digit_like))
    assert reading["status"] == "ok" and reading["note"] == note
    detector = nb["looks_like_a_digit"](Fixed(0.8 if digit_like else 0.2), 0.5)  # as Appendix K gives the canvas
    assert nb["read_canvas"](model, message(), detector=detector)["note"] == note
    assert nb["read_canvas"](model, message())["note"] == "", "without a detector the canvas says nothing more"


@pytest.mark.parametrize("digit_like, note", [
    ((True, False, True), "but piece 2 from the left does not look like a digit"), ((True, True, True), "")])
def test_the_canvas_says_which_piece_of_a_number_is_not_a_digit(nb, model, digit_like, note):
    """The detector runs on each piece the canvas reads, in the order of the number's digits."""
    pixels = drawing([DRAWN[digit] for digit in (7, 1, 0)], slots=NUMBER_SLOTS[:3])
    reading = nb["read_canvas"](model, message(pixels), detector=per_piece(*digit_like))
    assert reading["status"] == "ok" and len(reading["digits"]) == 3 and reading["note"] == note


@pytest.mark.parametrize("digit_like, note", [
    ([True], ""), ([False], "but this does not look like a digit"), ([True, True], ""),
    ([True, False, True], "but piece 2 from the left does not look like a digit"),
    ([False, True, False], "but pieces 1 and 3 from the left do not look like digits")])
def test_the_note_names_the_pieces_that_are_not_digits(nb, digit_like, note):
    assert nb["not_a_digit_note"](digit_like) == note


def test_read_digit_or_not_gives_the_reading_and_the_verdict(nb, model):
    prediction, digit_like = nb["read_digit_or_not"](model, Fixed(0.1), 0.5, drawing())
    single = nb["predict_digit"](model, drawing())
    assert prediction.digit == single.digit and np.allclose(prediction.probabilities, single.probabilities)
    assert digit_like is False
    assert nb["read_digit_or_not"](model, Fixed(0.9), 0.5, drawing())[1] is True


def test_low_resolution_blurs_and_keeps_the_shape(nb):
    images = np.zeros((3, 28, 28, 1), np.float32)
    images[:, 4:24, 13:15] = 1.0
    low = nb["low_resolution"](images, np.random.default_rng(0))
    assert low.shape == images.shape and low.dtype == np.float32
    assert not np.array_equal(low, images) and abs(low.sum() - images.sum()) / images.sum() < 0.2
