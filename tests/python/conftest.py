"""pytest setup for the pycdc tests.

pycdc is imported from PYTHONPATH (ctest sets it to <build>/python); when it is
not importable, the first <repo>/build*/python holding a built module is used.

The tests that need a model use $PYCDC_TEST_MODEL, or else
tests/data/golden_x8.cdcm, or else a model converted from
tests/data/golden_x8/checkpoint.pt (random weights at dim 8: round trips work,
image quality means nothing); they are skipped when none exists.
"""

import glob
import os
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA_DIR = os.environ.get("CDC_TEST_DATA_DIR") or os.path.join(REPO, "tests", "data")

try:
    import pycdc  # noqa: F401
except ImportError:
    for candidate in sorted(glob.glob(os.path.join(REPO, "build*", "python"))):
        if glob.glob(os.path.join(candidate, "pycdc", "_pycdc*.so")):
            sys.path.insert(0, candidate)
            break


def find_test_model():
    path = os.environ.get("PYCDC_TEST_MODEL") or os.path.join(DATA_DIR, "golden_x8.cdcm")
    return path if os.path.isfile(path) else None


GOLDEN_CHECKPOINT = os.path.join(DATA_DIR, "golden_x8", "checkpoint.pt")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    path = find_test_model()
    if path is not None:
        return path
    if os.path.isfile(GOLDEN_CHECKPOINT):
        # No model file yet: convert the reference test checkpoint (about a second).
        import pycdc

        path = str(tmp_path_factory.mktemp("model") / "golden_x8.cdcm")
        try:
            pycdc.convert_checkpoint(GOLDEN_CHECKPOINT, path)
        except pycdc.CdcError as e:
            pytest.skip(f"no test model: converting {GOLDEN_CHECKPOINT} failed: {e}")
        return path
    pytest.skip(
        "no test model: tests/data/golden_x8.cdcm is absent (made with `cdc convert` from "
        "the reference test checkpoint), so is tests/data/golden_x8/checkpoint.pt, and "
        "$PYCDC_TEST_MODEL is not set"
    )


@pytest.fixture(scope="session")
def model(model_path):
    import pycdc

    return pycdc.Model(model_path)


# Decoding steps for the tests: few, to keep the suite fast.
TEST_STEPS = int(os.environ.get("PYCDC_TEST_STEPS", "2"))


@pytest.fixture(scope="session")
def steps():
    return TEST_STEPS


def make_image(h, w, c=3, seed=0):
    """A smooth test image with some texture: uint8 HxWxC, or HxW for c=None."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for k in range(c or 1):
        base = 128 + 90 * np.sin(x / (7.0 + 3 * k) + k) * np.cos(y / (9.0 + 2 * k))
        planes.append(base + rng.normal(0, 6, size=(h, w)))
    img = np.clip(np.stack(planes, axis=-1), 0, 255).astype(np.uint8)
    if c == 4:
        img[..., 3] = (np.arange(w)[None, :] * 255 // max(w - 1, 1)).astype(np.uint8)
    return img[..., 0] if c is None else img



@pytest.fixture(scope="session")
def dask_cluster():
    """A local Dask cluster: 2 worker processes of 1 thread each, loopback only."""
    distributed = pytest.importorskip(
        "distributed", reason="the cluster tests need Dask's distributed (python3-distributed)")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()
