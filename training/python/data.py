"""Photo loading for train.py: decode the JPEG cache once into (GPU) memory, then random crops."""
import glob
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from PIL import Image


def load_photos(folder, workers=16):
    files = sorted(glob.glob(os.path.join(folder, "*.jpg")) + glob.glob(os.path.join(folder, "*.png")))
    if not files:
        raise SystemExit(f"no photos in {folder}: run prepare_data.py")

    def read(f):
        return np.array(Image.open(f).convert("RGB"))

    with ThreadPoolExecutor(workers) as ex:
        return files, list(ex.map(read, files))


class CropSampler:
    """All photos in one flat uint8 tensor (each photo's pixels once, no padding: photos of mixed
    sizes cost their own bytes only); a batch of random crops (with horizontal flips) is one
    gather on the device."""

    def __init__(self, arrays, crop, device):
        self.crop = crop
        keep = [a for a in arrays if a.shape[0] >= crop and a.shape[1] >= crop]
        self.data = torch.cat([torch.from_numpy(a).reshape(-1) for a in keep]).to(device)
        starts = [0]
        for a in keep[:-1]:
            starts.append(starts[-1] + a.size)
        self.starts = torch.tensor(starts, dtype=torch.long, device=device)
        self.sizes = torch.tensor([[a.shape[0], a.shape[1]] for a in keep], device=device)
        self.device = device
        self.ar = torch.arange(crop, device=device)
        self.channel = torch.arange(3, device=device)

    def __len__(self):
        return self.sizes.shape[0]

    def sample(self, batch, gen):
        d = self.device
        n = torch.randint(0, len(self), (batch,), device=d, generator=gen)
        hw = self.sizes[n]
        u = torch.rand(batch, 2, device=d, generator=gen)
        y0 = (u[:, 0] * (hw[:, 0] - self.crop + 1)).long()
        x0 = (u[:, 1] * (hw[:, 1] - self.crop + 1)).long()
        flip = torch.rand(batch, device=d, generator=gen) < 0.5
        cols = torch.where(flip[:, None], self.crop - 1 - self.ar, self.ar) + x0[:, None]
        rows = y0[:, None] + self.ar
        pixel = rows[:, :, None] * hw[:, 1, None, None] + cols[:, None, :]  # B x c x c
        index = self.starts[n, None, None, None] + pixel[..., None] * 3 + self.channel
        crops = self.data[index]  # B x c x c x 3
        x = crops.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return x.contiguous(memory_format=torch.channels_last)


def val_tensors(arrays, multiple=64, max_side=None):
    """Centre-crop each photo to multiples of `multiple` (optionally capped at max_side)."""
    out = []
    for a in arrays:
        h, w = a.shape[:2]
        if max_side:
            h, w = min(h, max_side), min(w, max_side)
        h, w = h - h % multiple, w - w % multiple
        top, left = (a.shape[0] - h) // 2, (a.shape[1] - w) // 2
        t = torch.from_numpy(np.ascontiguousarray(a[top:top + h, left:left + w]))
        out.append(t.permute(2, 0, 1)[None].float() / 127.5 - 1.0)
    return out
