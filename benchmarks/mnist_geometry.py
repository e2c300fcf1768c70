"""Where MNIST puts a digit, and how thick it draws it: the two constants part 3's preparation copies.

MNIST_CENTER: the centre of mass of each training image, in pixel indices (row, column).
MNIST_STROKE_WIDTH: each training image's stroke width by normalize_stroke_width's own measure
(4 x the mean distance from an ink pixel, above 0.5, to the background, minus 2).

    python benchmarks/mnist_geometry.py    # about 15 s on 2 cores; reads MNIST as the notebook does (TFDS)
"""

import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent


def stroke_width(image):
    strokes = image > 0.5
    return 4 * ndimage.distance_transform_edt(strokes)[strokes].mean() - 2


def main():
    sys.path.insert(0, str(ROOT / "tests"))
    from notebook_code import load_notebook_code

    nb = load_notebook_code(tags=("setup", "parameters", "helpers"))
    (train,), _ = nb["load_mnist"](["train"])
    images, _ = nb["to_numpy"](train)
    images = images[..., 0] / 255
    centres = np.array([ndimage.center_of_mass(image) for image in images])
    widths = np.array([stroke_width(image) for image in images])
    print(f"{len(images):,} training images")
    low, high = np.percentile(centres, [5, 95], axis=0)
    print(f"centre of mass: mean row {centres[:, 0].mean():.2f}, column {centres[:, 1].mean():.2f}; 5th to 95th "
          f"percentile, rows {low[0]:.2f} to {high[0]:.2f}, columns {low[1]:.2f} to {high[1]:.2f}")
    print(f"stroke width: median {np.median(widths):.2f} px, mean {widths.mean():.2f}, "
          f"10th to 90th percentile {np.percentile(widths, 10):.2f} to {np.percentile(widths, 90):.2f}")
    print(f"notebook: MNIST_CENTER = {nb['MNIST_CENTER']}, MNIST_STROKE_WIDTH = {nb['MNIST_STROKE_WIDTH']}")


if __name__ == "__main__":
    main()
