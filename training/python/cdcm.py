"""Read a libcdc model file (.cdcm, docs/model-format.md) into a reference-layout state dict.

Used by train.py to warm-start from a shipped model (`--init models/default-low.cdcm`), so that
a GPU machine needs only the repository to continue training the built-in models. The checks here
are the layout's (magic, version, bounds); the library's loader is the strict one.
"""
import json
import struct
import sys

import numpy as np
import torch

SECTION_CONFIG, SECTION_NAME, SECTION_TENSORS = 1, 2, 3


def read_cdcm(path):
    """Returns (config dict, name, {key: float32 tensor}) of a .cdcm file."""
    data = open(path, "rb").read()
    if len(data) < 64 or data[:8] != b"CDCMODEL":
        raise ValueError(f"{path}: not a libcdc model file")
    version, n, size = struct.unpack_from("<IIQ", data, 8)
    if version not in (1, 2) or size != len(data) or not 1 <= n <= 64:
        raise ValueError(f"{path}: unsupported version {version} or bad header")
    sections = {}
    for i in range(n):
        typ, _, off, sz, _ = struct.unpack_from("<IIQQQ", data, 64 + 32 * i)
        if off + sz > len(data):
            raise ValueError(f"{path}: section {typ} out of bounds")
        sections[typ] = data[off:off + sz]
    cfg = json.loads(sections[SECTION_CONFIG].decode("utf-8"))
    name = sections.get(SECTION_NAME, b"").decode("utf-8")
    sec = sections[SECTION_TENSORS]
    count, _ = struct.unpack_from("<II", sec, 0)
    pos, tensors = 8, {}
    for _ in range(count):
        (length,) = struct.unpack_from("<I", sec, pos)
        key = sec[pos + 4:pos + 4 + length].decode("utf-8")
        pos += 4 + length
        dtype, ndim = struct.unpack_from("<II", sec, pos)
        pos += 8
        shape = struct.unpack_from(f"<{ndim}Q", sec, pos)
        pos += 8 * ndim
        off, nbytes = struct.unpack_from("<QQ", sec, pos)
        pos += 16
        width = {1: 4, 2: 2}.get(dtype if version >= dtype else 0)  # float16 (2): version 2 files
        if width is None or off + nbytes > len(sec) or nbytes != width * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: bad tensor entry {key}")
        arr = np.frombuffer(sec, dtype="<f4" if width == 4 else "<f2", count=nbytes // width, offset=off)
        tensors[key] = torch.from_numpy(arr.reshape(shape).astype(np.float32))
    return cfg, name, tensors


def as_reference_checkpoint(tensors, step=0):
    """The checkpoint layout train.py exports and cdc_model.load_reference_checkpoint reads."""
    sd = {"ema_model." + k: v for k, v in tensors.items()}
    return {"ema": sd, "step": step}


if __name__ == "__main__":
    cfg, name, t = read_cdcm(sys.argv[1])
    print(name, json.dumps(cfg), len(t), "tensors", sum(v.numel() for v in t.values()), "values")
