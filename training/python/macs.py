#!/usr/bin/env python3
"""Count multiply-accumulates and activation elements (conv/linear outputs) of the encode and
decode paths at 1x3x512x768 for configs U_DIM:COMP_DIM (a timing-free size proxy)."""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdc_model import CDC, default_config  # noqa: E402


def count(fn, model):
    tot = {"mac": 0, "act": 0}

    def hook(m, i, o):
        if isinstance(m, nn.Conv2d):
            tot["mac"] += o.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1] // m.groups
        elif isinstance(m, nn.ConvTranspose2d):
            tot["mac"] += i[0].numel() * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            tot["mac"] += o.numel() * m.in_features
        tot["act"] += o.numel() if torch.is_tensor(o) else 0

    hs = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    fn()
    for h in hs:
        h.remove()
    return tot["mac"] / 1e9, tot["act"] / 1e6


def main():
    torch.set_grad_enabled(False)
    x = torch.zeros(1, 3, 512, 768)
    for spec in sys.argv[1:]:
        p = [int(v) for v in spec.split(":")]
        m = CDC(default_config(p[0], p[1], dim_mults=tuple(range(1, (p[2] if len(p) > 2 else 6) + 1)))).eval()
        cf = m.context_fn
        y = cf.encode(x)
        enc = count(lambda: cf.hyper_decode(cf.hyper_encode(cf.encode(x))), m)
        ctx = cf.decode(y)
        cdec = count(lambda: cf.decode(y), m)
        un = count(lambda: m.denoise_fn(x, torch.zeros(1, 1), ctx), m)
        print(f"{spec:8s} encode {enc[0]:6.2f} GMAC {enc[1]:6.1f} Mact | context dec {cdec[0]:6.2f} GMAC "
              f"{cdec[1]:6.1f} Mact | U-Net {un[0]:6.2f} GMAC {un[1]:6.1f} Mact")


if __name__ == "__main__":
    main()
