"""Unit tests of part 3: preprocess_digit_image and predict_digit, without running the notebook."""

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage


def drawn_digit(size=(200, 240), width=12, ink=20, paper=240, mode="L",
                strokes=(((0.62, 0.85), (0.6, 0.12), (0.18, 0.62), (0.82, 0.6)),)):
    """A 4 drawn as dark ink on light paper, as a PIL image."""
    image = Image.new(mode, size, paper)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        pen.line([(x * size[0], y * size[1]) for x, y in stroke], fill=ink, width=width)
    return image


def bounding_box(image, level=0.1):
    rows = np.flatnonzero((image > level).any(axis=1))
    columns = np.flatnonzero((image > level).any(axis=0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


# --- the output contract ----------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: drawn_digit(),
    lambda: np.asarray(drawn_digit()),
    lambda: np.asarray(drawn_digit(mode="RGB", ink=(20, 20, 20), paper=(240, 240, 240))),
    lambda: np.asarray(drawn_digit()).astype(np.float64) / 255,
], ids=["pil", "uint8-array", "rgb-array", "float-array"])
def test_output_is_28x28x1_float32_in_unit_range_and_centred(nb, make):
    prepared = nb["preprocess_digit_image"](make())
    assert prepared.shape == (28, 28, 1)
    assert prepared.dtype == np.float32
    assert prepared.min() >= 0.0 and prepared.max() <= 1.0
    assert prepared.max() > 0.9, "the strokes should reach full intensity"
    assert np.isclose(prepared[0].sum() + prepared[-1].sum(), 0, atol=0.5), "the background must be black"
    row, column = ndimage.center_of_mass(prepared[..., 0])
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1, "centre of mass within a pixel of the frame centre"
    assert abs(row - 14) < 0.25 and abs(column - 14) < 0.25, "MNIST puts it on pixel (14, 14)"
    height, width = bounding_box(prepared[..., 0])
    assert max(height, width) in (20, 21, 22), "the longer side is about 20 pixels, as in MNIST"


def test_dark_on_light_is_inverted_to_light_on_dark(nb):
    dark_on_light = np.asarray(drawn_digit(ink=20, paper=240))
    light_on_dark = 255 - dark_on_light
    a = nb["preprocess_digit_image"](dark_on_light)
    b = nb["preprocess_digit_image"](light_on_dark)
    assert a[0, 0, 0] == 0 and a.max() > 0.9
    assert np.abs(a - b).mean() < 0.02, "both polarities give the same MNIST-style image"


@pytest.mark.parametrize("size, expected_ratio", [((100, 300), 1 / 3), ((300, 100), 3.0), ((200, 200), 1.0)])
def test_aspect_ratio_is_preserved(nb, size, expected_ratio):
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).rectangle([10, 10, size[0] - 11, size[1] - 11], outline=0, width=8)
    height, width = bounding_box(nb["preprocess_digit_image"](image)[..., 0], level=0.3)
    assert max(height, width) in (20, 21)
    assert width / height == pytest.approx(expected_ratio, rel=0.2)


def test_image_modes_all_give_the_same_digit(nb, tmp_path):
    reference = nb["preprocess_digit_image"](drawn_digit())
    rgba = drawn_digit(mode="RGBA", ink=(30, 60, 200, 255), paper=(0, 0, 0, 0))  # ink on transparency
    white_on_transparent = drawn_digit(mode="RGBA", ink=(255, 255, 255, 255), paper=(0, 0, 0, 0))
    palette = drawn_digit(mode="RGB", ink=(20, 20, 20), paper=(240, 240, 240)).convert("P")
    sixteen_bit = Image.fromarray(np.asarray(drawn_digit(), np.uint16) * 257)
    bilevel = drawn_digit().convert("1")
    variants = {"rgba": rgba, "white-on-transparent": white_on_transparent, "palette": palette,
                "16-bit": sixteen_bit, "bilevel": bilevel}
    for name, image in variants.items():
        path = tmp_path / f"{name}.png"
        image.save(path)
        for source in (image, path, str(path)):
            prepared = nb["preprocess_digit_image"](source)
            assert np.abs(prepared - reference).mean() < 0.03, f"{name} from {type(source).__name__}"
    jpeg = tmp_path / "digit.jpg"
    drawn_digit(mode="RGB", ink=(20, 20, 20), paper=(240, 240, 240)).save(jpeg, quality=85)
    assert np.abs(nb["preprocess_digit_image"](jpeg) - reference).mean() < 0.03


def test_thin_strokes_on_a_large_scan_are_thickened(nb):
    thin = drawn_digit(size=(1200, 1500), width=3)
    prepared = nb["preprocess_digit_image"](thin)[..., 0]
    assert prepared.max() > 0.9
    assert (prepared > 0.5).sum() >= 40, "a hairline would leave only a few bright pixels"


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, error, message", [
    (np.full((50, 50), 255, np.uint8), ValueError, "single colour"),
    (np.zeros((50, 50, 3), np.uint8), ValueError, "single colour"),
    (np.zeros((0, 0)), ValueError, "empty"),
    (np.zeros(784), ValueError, "got shape (784,)"),
    (np.zeros((28, 28, 2)), ValueError, "got shape (28, 28, 2)"),
    (np.zeros((1, 28, 28, 1)), ValueError, "looks like a batch"),
    (np.zeros((2, 3, 28, 28)), ValueError, "got shape (2, 3, 28, 28)"),
    (np.full((28, 28), np.nan), ValueError, "NaN or infinite"),
    (np.where(np.eye(28) > 0, np.inf, 0.0), ValueError, "NaN or infinite"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "real numbers"),
    (np.zeros((28, 28), np.complex64), TypeError, "real numbers"),
    (np.zeros((28, 28), object), TypeError, "real numbers"),
    (42, TypeError, "expected a file path, a PIL image or a NumPy array"),
    (None, TypeError, "got NoneType"),
    (np.zeros((8000, 7000), np.uint8), ValueError, "more than the limit of 50,000,000"),
], ids=["white", "black-rgb", "empty", "1-d", "2-channels", "batch", "4-d", "nan", "inf", "strings",
        "complex", "object", "int", "none", "too-large"])
def test_bad_arrays_and_types_are_rejected_clearly(nb, bad, error, message):
    with pytest.raises(error) as raised:
        nb["preprocess_digit_image"](bad)
    assert message in str(raised.value)


def test_noise_without_a_digit_is_rejected(nb):
    noise = np.random.default_rng(0).normal(200, 2, (100, 100)).clip(0, 255).astype(np.uint8)
    with pytest.raises(ValueError, match=r"no digit|single colour"):
        nb["preprocess_digit_image"](noise)


def test_a_single_speck_is_not_a_digit(nb):
    speck = np.full((100, 100), 255, np.uint8)
    speck[50, 50] = 0
    with pytest.raises(ValueError, match="no digit"):
        nb["preprocess_digit_image"](speck)


def test_bad_files_are_rejected_clearly(nb, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="no image file at"):
        nb["preprocess_digit_image"](tmp_path / "missing.png")
    with pytest.raises(ValueError, match="that is a folder"):
        nb["preprocess_digit_image"](tmp_path)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match=r"'notes\.png' is not an image file"):
        nb["preprocess_digit_image"](text)
    truncated = tmp_path / "truncated.png"
    drawn_digit().save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"truncated\.png"):
        nb["preprocess_digit_image"](truncated)
    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), (255, 255, 255)).save(blank)
    with pytest.raises(ValueError, match="no digit to read"):
        nb["preprocess_digit_image"](blank)
    large = tmp_path / "large.png"
    drawn_digit(size=(400, 300)).save(large)
    monkeypatch.setitem(nb, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(ValueError, match="more than the limit of 100,000"):
        nb["preprocess_digit_image"](large)


# --- predict_digit ----------------------------------------------------------------------------

class _ModelWithoutPredict:
    """Answers like a Keras model called directly; fails if predict() is used."""

    def __call__(self, batch, training=False):
        assert batch.shape == (1, 28, 28, 1) and batch.dtype == np.float32 and training is False
        probabilities = np.full((1, 10), 0.01, np.float32)
        probabilities[0, 4] = 0.91
        return probabilities

    def predict(self, *args, **kwargs):
        raise AssertionError("predict_digit should call the model directly, not model.predict")


def test_predict_digit_returns_a_named_result_and_calls_the_model_directly(nb):
    result = nb["predict_digit"](_ModelWithoutPredict(), drawn_digit())
    assert result.digit == 4 and isinstance(result.digit, int)
    assert result.probability == pytest.approx(0.91) and isinstance(result.probability, float)
    assert result.probabilities.shape == (10,)
    assert result._fields == ("digit", "probability", "probabilities")


def test_predict_digit_refuses_an_empty_image(nb):
    with pytest.raises(ValueError, match="no digit to read"):
        nb["predict_digit"](_ModelWithoutPredict(), np.zeros((28, 28), np.uint8))


# --- round trip with a trained model ----------------------------------------------------------

def random_page(nb, digit, rng):
    """The notebook's ink_on_paper: the digit 2-8x larger, off-centre on paper of random brightness."""
    scale = int(rng.integers(2, 9))
    left, top, right, bottom = rng.integers(5, 40, size=4)
    canvas = (28 * scale + left + right, 28 * scale + top + bottom)
    return nb["ink_on_paper"](digit, scale, canvas, (left, top), rng.uniform(180, 250), 3, rng.integers(1000))


def test_round_trip_of_test_digits_drawn_as_ink_on_paper(nb, trained_recipe, tmp_path):
    model, (test_images, test_labels) = trained_recipe
    rng = np.random.default_rng(1)
    chosen = rng.choice(len(test_images), size=300, replace=False)
    correct = 0
    for count, index in enumerate(chosen):
        page = random_page(nb, test_images[index], rng)
        if count % 10 == 0:  # every tenth through a file
            path = tmp_path / f"digit_{count}.png"
            Image.fromarray(page).save(path)
            page = path
        correct += nb["predict_digit"](model, page).digit == test_labels[index]
    accuracy = correct / len(chosen)
    direct = np.mean(model.predict(test_images[chosen] / 255, verbose=0).argmax(axis=1) == test_labels[chosen])
    print(f"round trip {accuracy:.3f}, same model on the original 28x28 images {direct:.3f}")
    assert direct >= 0.95, "the model itself reads MNIST's own images"
    assert accuracy >= direct - 0.02, "drawn on paper and prepared, the digits read nearly as well as the originals"


def crop_to_the_ink(page, sides="trbl", level=128):
    """Crop a dark-on-light page to its ink on the given sides (top, right, bottom, left), as people crop photos."""
    rows, columns = np.flatnonzero((page < level).any(axis=1)), np.flatnonzero((page < level).any(axis=0))
    top, bottom = (rows[0] if "t" in sides else 0), (rows[-1] + 1 if "b" in sides else page.shape[0])
    left, right = (columns[0] if "l" in sides else 0), (columns[-1] + 1 if "r" in sides else page.shape[1])
    return page[top:bottom, left:right]


@pytest.mark.parametrize("sides", ["trbl", "t", "r", "b", "l", "tb"])
def test_digits_cropped_to_touch_the_edges_are_read(nb, trained_recipe, sides):
    """The strokes touch one or more edges of the image: each such crop reads as well as the whole page."""
    model, (test_images, test_labels) = trained_recipe
    rng = np.random.default_rng(2)
    chosen = rng.choice(len(test_images), size=150, replace=False)
    pages = [random_page(nb, test_images[index], rng) for index in chosen]
    whole = np.mean([nb["predict_digit"](model, page).digit == test_labels[index]
                     for page, index in zip(pages, chosen)])
    cropped = np.mean([nb["predict_digit"](model, crop_to_the_ink(page, sides)).digit == test_labels[index]
                       for page, index in zip(pages, chosen)])
    print(f"cropped on {sides}: {cropped:.3f}; whole pages: {whole:.3f}")
    assert cropped >= whole - 0.02 and cropped >= 0.9


def test_a_tightly_cropped_1_reads_as_1(nb, trained_recipe):
    """The case that crashed: dark strokes on white that touch the top and bottom edges."""
    model, _ = trained_recipe
    one = np.full((100, 20), 255, np.uint8)
    one[:, 5:15] = 0
    assert nb["predict_digit"](model, one).digit == 1


# --- the sample images part 3 makes ---------------------------------------------------------------

def test_sample_images_are_written_in_their_formats(nb, tmp_path):
    digit = np.zeros((28, 28, 1), np.uint8)
    digit[6:22, 12:16] = 255  # a 1
    samples = nb["make_sample_images"](tmp_path / "samples", digit, 1, seed=0)
    assert list(samples.values()) == [7, 4, 1, 2]
    modes = {}
    for path in samples:
        with Image.open(path) as image:
            modes[path.name] = (image.format, image.mode)
    assert modes == {"drawn_7.png": ("PNG", "RGB"), "drawn_4_transparent.png": ("PNG", "RGBA"),
                     "test_digit_1_on_paper.jpg": ("JPEG", "L"), "drawn_2_thin_16bit.png": ("PNG", "I;16")}


# --- the out-of-MNIST check set ---------------------------------------------------------------

def test_check_set_has_its_four_sources_each_with_every_digit(nb):
    check_set = nb["make_check_set"](drawings_per_digit=2, seed=0)
    assert list(check_set) == ["scikit-learn's 8x8 scans", "photographed on paper", "scanned", "drawing-app export"]
    scans, scan_labels = check_set["scikit-learn's 8x8 scans"]
    assert len(scans) == len(scan_labels) == 1797 and scans[0].shape == (8, 8)
    assert 0 <= min(scan.min() for scan in scans) and max(scan.max() for scan in scans) == 1
    modes = {"photographed on paper": "RGB", "scanned": "L", "drawing-app export": "RGBA"}
    for source, mode in modes.items():
        images, labels = check_set[source]
        assert sorted(labels) == sorted(list(range(10)) * 2)
        assert {image.mode for image in images} == {mode}, source


def test_check_set_is_the_same_for_the_same_seed_and_differs_for_another(nb):
    first, again, other = (nb["make_check_set"](drawings_per_digit=1, seed=seed) for seed in (5, 5, 6))
    for source in ["photographed on paper", "scanned", "drawing-app export"]:
        for a, b in zip(first[source][0], again[source][0]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert any(np.asarray(a).shape != np.asarray(c).shape or not np.array_equal(np.asarray(a), np.asarray(c))
                   for a, c in zip(first[source][0], other[source][0]))


def test_every_check_set_image_is_prepared_for_the_model(nb):
    prepared = nb["prepare_check_set"](nb["make_check_set"](drawings_per_digit=3, seed=1))
    for source, (images, labels) in prepared.items():
        assert images.shape == (len(labels), 28, 28, 1) and images.dtype == np.float32, source
        assert (images.reshape(len(labels), -1).max(axis=1) > 0.5).all(), source
