"""Small synthetic photo folders for the training-script tests (train/ and val/ of PNGs)."""

import os


def make_photos(root, n_train=4, seed=0):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("val", 1)):
        os.makedirs(root / split)
        for i in range(n):
            y, x = np.mgrid[0:72, 0:80]
            img = 128 + (80 * np.sin(x / (5 + i)) * np.cos(y / (7 + i)))[..., None]
            img = img + rng.normal(0, 10, (72, 80, 3))
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(root / split / f"{i}.png")
