"""Unit tests of augmentation layers that only the benchmarks use (benchmarks/augmentation.py), run without training."""

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.append(str(Path(__file__).resolve().parents[1] / "benchmarks"))
from augmentation import augmentation_layers


def bars(columns=(4, 9, 14, 19)):
    """One image per column: a vertical bar 3 pixels wide starting there (centres 5, 10, 15 and 20 by default)."""
    images = np.zeros((len(columns), 28, 28, 1), np.float32)
    for i, column in enumerate(columns):
        images[i, 4:24, column:column + 3] = 1.0
    return images


def in_a_traced_step(layer, images):
    """The layer in training, inside a graph whose batch size is unknown, as `fit` runs it."""
    @tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])
    def step(batch):
        return layer(batch, training=True)
    return step(tf.constant(images)).numpy()


def elastic(nb, variant="elastic", seed=0):
    nb["keras"].utils.set_random_seed(seed)  # the same seed gives the same field
    [layer] = augmentation_layers(nb, variant)
    return layer


def test_elastic_distortion_keeps_each_image_its_own(nb):
    layer = elastic(nb)
    images = bars()
    assert np.array_equal(np.asarray(layer(images, training=False)), images), "outside training: unchanged"
    moved = in_a_traced_step(layer, images)
    assert moved.shape == images.shape and moved.dtype == np.float32
    columns = np.arange(28)[None, :]
    centres = [float((image[..., 0] * columns).sum() / image.sum()) for image in moved]
    # a smooth field moves a whole bar by up to about 3 times the 1-pixel standard deviation; Keras's
    # RandomElasticTransform puts the first image's bar (centre 5) in every image it distorts, 5 to 15 pixels off
    np.testing.assert_allclose(centres, [5, 10, 15, 20], atol=3)
    ink = moved.sum(axis=(1, 2, 3)) / images.sum(axis=(1, 2, 3))
    # a field that stretches a stroke widens it, so the ink changes, by about a fifth here; not to nothing
    assert np.all(np.abs(ink - 1) < 0.5), ink


def test_elastic_distortion_gives_each_image_a_field_of_its_own(nb):
    moved = in_a_traced_step(elastic(nb), bars(columns=(12,) * 4))  # four copies of one image
    for i in range(1, 4):
        assert np.abs(moved[i] - moved[0]).max() > 0.1, "each image must be distorted differently"


def shifts(nb, axis, variant):
    """How far each pixel away from the border was moved along `axis` (1: rows, 2: columns), read off a ramp:
    bilinear reading is exact on a ramp, so each pixel ends up holding the coordinate it was read from."""
    ramp = np.broadcast_to(np.arange(28, dtype=np.float32).reshape([1, 28, 1, 1] if axis == 1 else [1, 1, 28, 1]),
                           (256, 28, 28, 1)) / 27
    moved = in_a_traced_step(elastic(nb, variant), ramp)
    inner = np.arange(8, 20).reshape([1, 12, 1] if axis == 1 else [1, 1, 12])
    return moved[:, 8:20, 8:20, 0] * 27 - inner


def test_elastic_distortion_moves_pixels_by_the_strength_on_both_axes_independently(nb):
    down, across = shifts(nb, 1, "elastic=1.5"), shifts(nb, 2, "elastic=1.5")  # one field, read on both axes
    assert np.array_equal(shifts(nb, 2, "elastic=1.5"), across), "the same seed must give the same field"
    for shift in (down, across):
        assert abs(float(shift.mean())) < 0.2
        assert 1.2 < float(shift.std()) < 1.8
    # Keras's RandomElasticTransform draws both axes' noise from one seed, so its correlation here is 1
    assert abs(np.corrcoef(down.ravel(), across.ravel())[0, 1]) < 0.2
