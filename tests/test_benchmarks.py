"""Unit tests of augmentation layers that only the benchmarks use (benchmarks/augmentation.py), run without training."""

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from augmentation import augmentation_layers


def bars():
    """Four images, each a vertical bar 3 pixels wide, at columns 4, 9, 14 and 19 (centres 5, 10, 15, 20)."""
    images = np.zeros((4, 28, 28, 1), np.float32)
    for i in range(4):
        images[i, 4:24, 4 + 5 * i:7 + 5 * i] = 1.0
    return images


def in_a_traced_step(layer, images):
    """The layer in training, inside a graph whose batch size is unknown, as `fit` runs it."""
    @tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])
    def step(batch):
        return layer(batch, training=True)
    return step(tf.constant(images)).numpy()


def test_elastic_distortion_moves_each_image_by_its_own_field(nb):
    nb["keras"].utils.set_random_seed(0)
    [layer] = augmentation_layers(nb, "elastic")
    images = bars()
    assert np.array_equal(np.asarray(layer(images, training=False)), images), "outside training: unchanged"
    moved = in_a_traced_step(layer, images)
    assert moved.shape == images.shape and moved.dtype == np.float32
    assert not np.array_equal(moved, images)
    columns = np.arange(28)[None, :]
    centres = [float((image[..., 0] * columns).sum() / image.sum()) for image in moved]
    # a smooth field moves a whole bar by up to about 3 times the 1-pixel average; Keras's RandomElasticTransform
    # puts the first image's bar (centre 5) in all four here, 5 to 15 pixels off
    np.testing.assert_allclose(centres, [5, 10, 15, 20], atol=3)
    ink = moved.sum(axis=(1, 2, 3)) / images.sum(axis=(1, 2, 3))
    # a field that stretches a stroke widens it, so the ink changes, by about a fifth here; not to nothing
    assert np.all(np.abs(ink - 1) < 0.5), ink


def test_elastic_distortion_moves_pixels_by_the_strength(nb):
    nb["keras"].utils.set_random_seed(0)
    [layer] = augmentation_layers(nb, "elastic=1.5")
    ramp = np.tile(np.arange(28, dtype=np.float32)[None, None, :, None], (256, 28, 1, 1)) / 27
    moved = in_a_traced_step(layer, ramp)
    # bilinear reading is exact on a ramp: each pixel now holds the column it was read from
    shift = (moved[:, 8:20, 8:20, 0] * 27 - np.arange(8, 20)[None, None, :])  # away from the edges
    assert abs(float(shift.mean())) < 0.2
    assert 1.2 < float(shift.std()) < 1.8
