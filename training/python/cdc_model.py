"""CDC x-param model (U-Net denoiser + hyperprior compressor + cosine schedule) for libcdc.

Written for libcdc from the architecture facts in shared/reference/README.md; module names and
nesting follow the reference checkpoint layout exactly, so that `state_dict()` of `CDC` gives the
keys `denoise_fn.*`, `context_fn.*` and `train_*` that `cdc convert` reads (after the prefix
`ema_model.`). Training-only parts live in train.py, never here.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------
# Building blocks


class LayerNorm(nn.Module):
    """Normalise over channels (dim 1) with biased variance; params g, b of shape 1xCx1x1."""

    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.b = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        # Same maths as (x - mean) / sqrt(var + eps) * g + b over dim 1, through the fused kernel.
        c = x.shape[1]
        y = F.layer_norm(x.permute(0, 2, 3, 1), (c,), self.g.view(c), self.b.view(c), self.eps)
        return y.permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, dim_in, dim_out, large=False):
        super().__init__()
        k = 7 if large else 3
        self.block = nn.Sequential(nn.Conv2d(dim_in, dim_out, k, padding=k // 2), LayerNorm(dim_out), nn.ReLU())

    def forward(self, x):
        return self.block(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim_in, dim_out, time_dim=None, large=False):
        super().__init__()
        self.mlp = nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(time_dim, dim_out)) if time_dim else None
        self.block1 = Block(dim_in, dim_out, large)
        self.block2 = Block(dim_out, dim_out)
        self.res_conv = nn.Conv2d(dim_in, dim_out, 1) if dim_in != dim_out else nn.Identity()

    def forward(self, x, t=None):
        h = self.block1(x)
        if self.mlp is not None:
            h = h + self.mlp(t)[:, :, None, None]
        h = self.block2(h)
        return h + self.res_conv(x)


class LinearAttention(nn.Module):
    """One head of dimension C: softmax over positions on k only, q scaled by C^-0.5."""

    def __init__(self, dim):
        super().__init__()
        self.scale = dim ** -0.5
        self.to_qkv = nn.Conv2d(dim, dim * 3, 1, bias=False)
        self.to_out = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.to_qkv(x).reshape(b, 3, c, h * w).unbind(1)
        q = q * self.scale
        k = k.softmax(dim=-1)
        ctx = torch.bmm(k, v.transpose(1, 2))  # b x c(k) x c(v)
        out = torch.bmm(ctx.transpose(1, 2), q)  # b x c(v) x n
        return self.to_out(out.reshape(b, c, h, w))


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = LayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class Residual(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return x + self.fn(x)


def attention(dim):
    return Residual(PreNorm(dim, LinearAttention(dim)))


class Downsample(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, dim, dim_out=None):
        super().__init__()
        self.conv = nn.ConvTranspose2d(dim, dim_out or dim, 4, 2, 1)

    def forward(self, x):
        return self.conv(x)


# ---------------------------------------------------------------------------------------------
# U-Net


class Unet(nn.Module):
    def __init__(self, dim, dim_mults=(1, 2, 3, 4, 5, 6), context_dim_mults=(1, 2, 3, 4), channels=3,
                 context_channels=3, context_dims=None):
        super().__init__()
        dims = [channels] + [dim * m for m in dim_mults]
        pairs = list(zip(dims[:-1], dims[1:]))
        # channels of the context map entering each level (finest first); by default the
        # compressor's features are context_channels * mult
        ctx_dims = list(context_dims) if context_dims is not None else \
            [context_channels] + [context_channels * m for m in context_dim_mults]
        self.n_ctx = len(context_dim_mults)
        self.time_mlp = nn.Sequential(nn.Linear(1, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))
        self.downs = nn.ModuleList()
        for i, (a, b) in enumerate(pairs):
            extra = ctx_dims[i] if i < self.n_ctx else 0
            last = i == len(pairs) - 1
            self.downs.append(nn.ModuleList([
                ResnetBlock(a + extra, b, dim, large=(i == 0)),
                ResnetBlock(b, b, dim),
                attention(b),
                Downsample(b) if not last else nn.Identity(),
            ]))
        mid = dims[-1]
        self.mid_block1 = ResnetBlock(mid, mid, dim)
        self.mid_attn = attention(mid)
        self.mid_block2 = ResnetBlock(mid, mid, dim)
        self.ups = nn.ModuleList()
        for a, b in reversed(pairs[1:]):
            self.ups.append(nn.ModuleList([
                ResnetBlock(b * 2, a, dim),
                ResnetBlock(a, a, dim),
                attention(a),
                Upsample(a),
            ]))
        self.final_conv = nn.Sequential(LayerNorm(dim), nn.Conv2d(dim, channels, 7, padding=3))

    def forward(self, x, time, context):
        """x: Bx3xHxW, time: Bx1 (index / num_timesteps), context: list of feature maps."""
        t = self.time_mlp(time)
        skips = []
        for i, (r1, r2, attn, down) in enumerate(self.downs):
            if i < self.n_ctx:
                x = torch.cat([x, context[i]], dim=1)
            x = r1(x, t)
            x = r2(x, t)
            x = attn(x)
            skips.append(x)
            x = down(x)
        x = self.mid_block1(x, t)
        x = self.mid_attn(x)
        x = self.mid_block2(x, t)
        for r1, r2, attn, up in self.ups:
            x = torch.cat([x, skips.pop()], dim=1)
            x = r1(x, t)
            x = r2(x, t)
            x = attn(x)
            x = up(x)
        return self.final_conv(x)


# ---------------------------------------------------------------------------------------------
# Entropy models


class FactorizedPrior(nn.Module):
    """Ballé et al. 2018 (appendix 6.1) per-channel density with filters [1, 3, 3, 3, 1]."""

    def __init__(self, channels, filters=(3, 3, 3)):
        super().__init__()
        chain = (1,) + tuple(filters) + (1,)
        self.channels = channels
        self._medians = nn.Parameter(torch.zeros(1, channels, 1, 1))
        scale = 10.0 ** (1 / (len(filters) + 1))
        self.affine = nn.ModuleList()
        self.a = nn.ParameterList()
        for i in range(len(chain) - 1):
            lin = nn.Module()
            init = math.log(math.expm1(1 / scale / chain[i + 1]))
            lin.weight = nn.Parameter(torch.full((channels, 1, 1, chain[i], chain[i + 1]), init))
            lin.bias = nn.Parameter(torch.empty(channels, 1, 1, 1, chain[i + 1]).uniform_(-0.5, 0.5))
            self.affine.append(lin)
            if i < len(chain) - 2:
                self.a.append(nn.Parameter(torch.zeros(channels, 1, 1, 1, chain[i + 1])))

    def logits_cdf(self, v, detach_params=False):
        """v: BxCxHxW -> logit of the CDF at v, same shape."""
        b, c, h, w = v.shape
        x = v.permute(1, 0, 2, 3).reshape(c, 1, 1, b * h * w, 1)  # C x 1 x 1 x N x 1
        for i, lin in enumerate(self.affine):
            wgt, bias = lin.weight, lin.bias
            if detach_params:
                wgt, bias = wgt.detach(), bias.detach()
            x = torch.matmul(x, F.softplus(wgt)) + bias
            if i < len(self.a):
                a = self.a[i].detach() if detach_params else self.a[i]
                x = x + torch.tanh(a) * torch.tanh(x)
        return x.reshape(c, b, h, w).permute(1, 0, 2, 3)

    def likelihood(self, v):
        lower = self.logits_cdf(v - 0.5)
        upper = self.logits_cdf(v + 0.5)
        s = -torch.sign(lower + upper).detach()
        return torch.abs(torch.sigmoid(s * upper) - torch.sigmoid(s * lower))

    def aux_loss(self):
        """Drives `_medians` to the median of the density (only the medians get gradients)."""
        return self.logits_cdf(self._medians, detach_params=True).abs().sum()


def gaussian_likelihood(y, mean, scale):
    """P(y) on [y-0.5, y+0.5] under N(mean, scale); evaluated on the lower tail for accuracy."""
    v = torch.abs(y - mean)
    inv = 1.0 / (scale * math.sqrt(2.0))
    upper = 0.5 * torch.erfc((v - 0.5) * inv)
    lower = 0.5 * torch.erfc((v + 0.5) * inv)
    return upper - lower


# ---------------------------------------------------------------------------------------------
# Compressor


class Compressor(nn.Module):
    def __init__(self, dim=64, dim_mults=(1, 2, 3, 4), reverse_dim_mults=(4, 3, 2, 1),
                 hyper_dims_mults=(4, 4, 4), channels=3, out_channels=64):
        super().__init__()
        enc_dims = [channels] + [dim * m for m in dim_mults]
        dec_dims = [dim * m for m in reverse_dim_mults]
        hyper = [enc_dims[-1]] + [dim * m for m in hyper_dims_mults]
        self.latent_channels = enc_dims[-1]
        self.hyper_channels = hyper[-1]
        self.enc = nn.ModuleList()
        for i, (a, b) in enumerate(zip(enc_dims[:-1], enc_dims[1:])):
            self.enc.append(nn.ModuleList([ResnetBlock(a, b, None, large=(i == 0)), Downsample(b)]))
        self.dec = nn.ModuleList()
        dec_pairs = list(zip(dec_dims[:-1], dec_dims[1:])) + [(dec_dims[-1], dec_dims[-1])]
        for i, (a, b) in enumerate(dec_pairs):
            last = i == len(dec_pairs) - 1
            self.dec.append(nn.ModuleList([ResnetBlock(a, b, None), Upsample(b, out_channels if last else b)]))
        n = len(hyper) - 1
        self.hyper_enc = nn.ModuleList()
        for i, (a, b) in enumerate(zip(hyper[:-1], hyper[1:])):
            if i == 0:
                layers = [nn.Conv2d(a, b, 3, 1, 1), nn.LeakyReLU(0.2)]
            else:
                layers = [nn.Conv2d(a, b, 5, 2, 2)] + ([nn.LeakyReLU(0.2)] if i < n - 1 else [])
            self.hyper_enc.append(nn.Sequential(*layers))
        rh = hyper[::-1]
        self.hyper_dec = nn.ModuleList()
        for i, (a, b) in enumerate(zip(rh[:-1], rh[1:])):
            if i < n - 1:
                layers = [nn.ConvTranspose2d(a, b, 5, 2, 2, output_padding=1), nn.LeakyReLU(0.2)]
            else:
                layers = [nn.Conv2d(a, b * 2, 3, 1, 1)]
            self.hyper_dec.append(nn.Sequential(*layers))
        self.prior = FactorizedPrior(self.hyper_channels)

    # -- pieces used separately by encode/decode and by training
    def encode(self, x):
        for res, down in self.enc:
            x = down(res(x))
        return x

    def hyper_encode(self, y):
        for layer in self.hyper_enc:
            y = layer(y)
        return y

    def hyper_decode(self, zq):
        for layer in self.hyper_dec:
            zq = layer(zq)
        mean, scale = zq.chunk(2, dim=1)
        return mean, scale.clamp(min=0.1)

    def decode(self, yq):
        feats = []
        for res, up in self.dec:
            yq = up(res(yq))
            feats.append(yq)
        return feats[::-1]

    def forward(self, x):
        """Test-time path: rounding around the medians / means. Returns a dict of tensors."""
        y = self.encode(x)
        z = self.hyper_encode(y)
        med = self.prior._medians
        zq = torch.round(z - med) + med
        mean, scale = self.hyper_decode(zq)
        yq = torch.round(y - mean) + mean
        py = gaussian_likelihood(yq, mean, scale).clamp(min=1e-9)
        pz = self.prior.likelihood(zq).clamp(min=1e-9)
        npix = x.shape[2] * x.shape[3]
        bits = -(torch.log2(py).sum(dim=(1, 2, 3)) + torch.log2(pz).sum(dim=(1, 2, 3)))
        return {"latent": y, "hyper_latent": z, "q_latent": yq, "q_hyper_latent": zq,
                "latent_mean": mean, "latent_scale": scale, "bpp": bits / npix,
                "context": self.decode(yq)}


# ---------------------------------------------------------------------------------------------
# Schedule and the whole model


def cosine_alphas_cumprod(T, s=0.008):
    n = T + 1
    x = np.linspace(0, n, n)
    ac = np.cos(((x / n) + s) / (1 + s) * np.pi * 0.5) ** 2
    ac = ac / ac[0]
    betas = np.clip(1 - ac[1:] / ac[:-1], 0, 0.999)
    return betas, np.cumprod(1.0 - betas)


class CDC(nn.Module):
    """Holds denoise_fn, context_fn and the train_* schedule buffers (reference key layout)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        self.num_timesteps = T = cfg["num_timesteps"]
        self.denoise_fn = Unet(cfg["dim"], tuple(cfg["dim_mults"]), tuple(cfg["context_dim_mults"]),
                               3, cfg["context_channels"], context_dims=context_dims(cfg))
        self.context_fn = Compressor(cfg["compressor_dim"], tuple(cfg["compressor_dim_mults"]),
                                     tuple(cfg["reverse_dim_mults"]), tuple(cfg["hyper_dims_mults"]),
                                     3, cfg["out_channels"])
        betas, ac = cosine_alphas_cumprod(T)
        f32 = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
        self.register_buffer("train_snr", f32(ac / (1 - ac)))
        self.register_buffer("train_betas", f32(betas))
        self.register_buffer("train_alphas_cumprod", f32(ac))
        self.register_buffer("train_sqrt_alphas_cumprod", f32(np.sqrt(ac)))
        self.register_buffer("train_sqrt_one_minus_alphas_cumprod", f32(np.sqrt(1 - ac)))
        self.register_buffer("train_sqrt_recip_alphas_cumprod", f32(np.sqrt(1 / ac)))
        self.register_buffer("train_sqrt_recipm1_alphas_cumprod", f32(np.sqrt(1 / ac - 1)))

    def one_step_decode(self, context, shape, x_start=None):
        """The library's 1-step x-param decode, unclamped and differentiable: one U-Net call on
        x_N = x_start (zeros by default) at the last train step, t = (T-1)/T."""
        T = self.num_timesteps
        x = torch.zeros(shape, device=context[0].device) if x_start is None else x_start
        return self.denoise_fn(x, torch.full((shape[0], 1), float(T - 1) / T, device=x.device), context)

    @torch.no_grad()
    def decode(self, context, shape, steps=1, x_start=None):
        """Deterministic DDIM-style x-param decode from x_N = x_start (zeros by default); no
        gradients (training and diagnose.py take one_step_decode's)."""
        if steps == 1:
            return self.one_step_decode(context, shape, x_start).clamp(-1, 1)
        T = self.num_timesteps
        x = torch.zeros(shape, device=context[0].device) if x_start is None else x_start
        idx = torch.linspace(0, T - 1, steps).long()
        ac = self.train_alphas_cumprod
        for i in reversed(range(steps)):
            a = ac[idx[i]]
            a_prev = ac[idx[i - 1]] if i > 0 else torch.ones((), device=ac.device)
            t = torch.full((shape[0], 1), float(idx[i]) / T, device=x.device)
            x0 = self.denoise_fn(x, t, context).clamp(-1, 1)
            eps = (x / a.sqrt() - x0) / (1 / a - 1).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        return x


def default_config(dim=16, compressor_dim=32, dim_mults=(1, 2, 3, 4, 5, 6), num_timesteps=8193,
                   reverse_dim_mults=(4, 3, 2, 1), context_channels=None):
    """The x-param layout. reverse_dim_mults sets the context decoder's widths (its first entry
    must equal the encoder's last, 4: the latent's channels); context_channels the finest context
    map's (default compressor_dim)."""
    cc = context_channels or compressor_dim
    return {
        "variant": "xparam", "dim": dim, "dim_mults": list(dim_mults), "context_dim_mults": [1, 2, 3, 4],
        "hyper_dims_mults": [4, 4, 4], "context_channels": cc, "num_timesteps": num_timesteps,
        "pred_mode": "x", "var_schedule": "cosine", "embd_type": "01",
        "compressor_dim": compressor_dim, "compressor_dim_mults": [1, 2, 3, 4],
        "reverse_dim_mults": list(reverse_dim_mults), "out_channels": cc, "channels": 3,
    }


def context_dims(cfg):
    """Channels of the compressor's context maps, finest first: the last upsampling's out_channels,
    then each decoder block's output from the second-finest up (what the U-Net's levels take)."""
    dec = [cfg["compressor_dim"] * m for m in cfg["reverse_dim_mults"]]
    return [cfg["out_channels"]] + dec[1:][::-1]


def config_from_reference(ref):
    """Fill the compressor fields of a reference config.json (which names only the U-Net)."""
    cfg = default_config(ref["dim"], ref.get("compressor_dim", ref["context_channels"]))
    cfg.update(ref)
    return cfg


def _copy_index(n_src, n_dst):
    """Source channel of each channel of a widened space. Where n_dst is a multiple of n_src the
    space is tiled (channel j copies j mod n_src); otherwise the first 2 * n_src - n_dst channels
    are kept (the U-Net's own features) and the rest, a context map, is tiled."""
    if n_dst % n_src == 0:
        return torch.arange(n_dst) % n_src
    keep = 2 * n_src - n_dst
    if keep <= 0 or keep >= n_src:
        raise ValueError(f"cannot widen {n_src} channels to {n_dst}")
    extra = n_src - keep
    j = torch.arange(n_dst)
    return torch.where(j < keep, j, keep + (j - keep) % extra)


def _split_weights(index, n_src, gen):
    """Per-channel factors of a widened input space: the copies of one source channel get random
    positive shares that sum to 1, so the sum over the copies is the source weight (the layer
    computes the same function) while the copies' gradients differ (they do not stay twins)."""
    w = 1.0 + 0.5 * (2 * torch.rand(len(index), generator=gen) - 1)
    tot = torch.zeros(n_src).index_add_(0, index, w)
    return w / tot[index]


def widen_state(model, sd, seed=0):
    """A wider layout's state from a narrower model's state dict `sd`, computing the same function
    (Net2Net-style widening): every widened channel copies a source channel, every layer that reads
    a widened space shares each source weight among its copies. Exact through the layer norms here,
    which normalise over channels: a space tiled k times has the same mean and variance. Tensors of
    equal shape are taken as they are; the result has every key of model.state_dict()."""
    gen = torch.Generator().manual_seed(seed)
    kinds = {}
    for name, mod in model.named_modules():
        if isinstance(mod, nn.ConvTranspose2d):
            kinds[name + ".weight"] = (1, 0)  # (duplicated dim, shared dim): weight is in x out
        elif isinstance(mod, (nn.Conv2d, nn.Linear)):
            kinds[name + ".weight"] = (0, 1)
    out = {}
    for k, dst in model.state_dict().items():
        if k in sd:
            v = sd[k].float()
        elif k.endswith(".res_conv.weight") and dst.shape[2:] == (1, 1):
            # the narrow block's input had as many channels as its output: its shortcut was the
            # identity, which the wider input now needs as a 1x1 convolution
            v = torch.eye(dst.shape[0])[:, :, None, None]
        elif k.endswith(".res_conv.bias"):
            v = torch.zeros(dst.shape)
        else:
            raise KeyError(f"widen: {k} is not in the source")
        if v.dim() != dst.dim():
            raise ValueError(f"widen: {k} has shape {tuple(v.shape)}, the layout wants {tuple(dst.shape)}")
        dup, shared = kinds.get(k, (None, None))
        for d in range(v.dim()):
            if v.shape[d] == dst.shape[d]:
                continue
            if dst.shape[d] < v.shape[d]:
                raise ValueError(f"widen: {k} is narrower in the layout ({tuple(dst.shape)}) than in the source")
            idx = _copy_index(v.shape[d], dst.shape[d])
            n_src = v.shape[d]
            v = v.index_select(d, idx)
            if d == shared:
                f = _split_weights(idx, n_src, gen)
                v = v * f.view([-1 if i == d else 1 for i in range(v.dim())])
            elif dup is not None and d != dup:
                raise ValueError(f"widen: {k} changes in dimension {d}")
        out[k] = v.to(dst.dtype)
    return out


def load_reference_checkpoint(model, path, prefix="ema_model.", partial=False, skip=(), widen=False):
    """Loads a reference-layout checkpoint (.pt) or a libcdc model file (.cdcm) into model.
    partial: load only the tensors whose name and shape the model shares (a warm start of a
    wider layout), except names starting with a prefix in skip; returns the names loaded.
    widen: load a narrower model into this wider layout, computing the same function
    (widen_state)."""
    if path.endswith(".cdcm"):
        from cdcm import as_reference_checkpoint, read_cdcm
        ckpt = as_reference_checkpoint(read_cdcm(path)[2])
        # a model file keeps train_alphas_cumprod only; the other schedule buffers derive from it,
        # and the model built from the same config holds the same values
        for k, v in model.state_dict().items():
            if k.startswith("train_") and prefix + k not in ckpt["ema"]:
                ckpt["ema"][prefix + k] = v
    else:
        ckpt = torch.load(path, map_location="cpu")
    sd = {k[len(prefix):]: v for k, v in ckpt["ema"].items() if k.startswith(prefix)}
    if widen:
        model.load_state_dict(widen_state(model, sd))
        return model
    if partial:
        own = model.state_dict()
        sd = {k: v for k, v in sd.items()
              if k in own and own[k].shape == v.shape and not k.startswith(tuple(skip))}
        model.load_state_dict(sd, strict=False)
        return set(sd)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    unexpected = [k for k in unexpected if not k.startswith("loss_fn_vgg.")]
    if missing or unexpected:
        raise RuntimeError(f"checkpoint mismatch: missing {missing}, unexpected {unexpected}")
    return model
