#!/usr/bin/env python3
"""Train a CDC x-param model (cdc_model.CDC) for a wall-clock budget, then save and exit.

Objective per batch (training/README.md and shared/docs/training-notes.md give the reasons):
  lambda * bpp                     y: straight-through rounding around the mean (the coded rate),
                                   z: uniform noise under the factorized prior
  + mean(clamp(SNR(t), 1, 5) * |x0 - X(x_t, t, context)|^2)   t uniform over the T train steps
  + aux_weight * |x0 - head(context_0)|^2   (one 3x3 conv, training only, never exported)
and the prior's median loss on its own Adam. lambda warms up from lambda * start_frac
(log-linearly over warmup_frac of the schedule); with --target-bpp it is then steered slowly so the
training rate meets the target. LR: linear warm-up then cosine decay over --total-minutes, measured
in training time accumulated over resumed calls.

Outputs in --out: <tag>.pt (reference layout {"ema": {"ema_model.<key>": ...}}), <tag>.config.json,
<tag>.log.json (validation history); the full resumable state goes to --state-dir.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdc_model import CDC, default_config, gaussian_likelihood, load_reference_checkpoint  # noqa: E402
from data import CropSampler, load_photos, val_tensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT_KEYS = ("variant", "dim", "dim_mults", "context_dim_mults", "channels", "context_channels",
               "embd_type", "compressor_dim", "compressor_dim_mults", "reverse_dim_mults",
               "hyper_dims_mults", "out_channels", "num_timesteps", "var_schedule", "pred_mode")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--out", default=os.environ.get("OUT", os.path.join(HERE, "..", "runs")))
    ap.add_argument("--state-dir", default=None, help="resumable state (default: --out)")
    ap.add_argument("--init", default=None, help="reference-layout checkpoint to start from when no state")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "cache"))
    ap.add_argument("--minutes", type=float, default=8.5, help="wall-clock budget of this call")
    ap.add_argument("--total-minutes", type=float, default=25.0, help="training time the schedules span")
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--levels", type=int, default=6)
    ap.add_argument("--compressor-dim", type=int, default=24)
    ap.add_argument("--lmbda", type=float, default=0.0064)
    ap.add_argument("--target-bpp", type=float, default=0.0, help="steer lambda to this training bpp")
    ap.add_argument("--lmbda-start-frac", type=float, default=0.05)
    ap.add_argument("--warmup-frac", type=float, default=0.2)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--lr-min-frac", type=float, default=0.1)
    ap.add_argument("--median-lr", type=float, default=5e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--aux-weight", type=float, default=1.0)
    ap.add_argument("--rate", choices=("ste", "noise"), default="ste")
    ap.add_argument("--snr-floor", type=float, default=1.0)
    ap.add_argument("--snr-cap", type=float, default=5.0)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--bf16", type=int, default=1)
    ap.add_argument("--compile", type=int, default=0)
    ap.add_argument("--eval-every", type=float, default=150.0, help="seconds between validations")
    ap.add_argument("--val-max-side", type=int, default=768)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    return ap.parse_args(argv)


def to_channels_last(model):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            m.to(memory_format=torch.channels_last)
    return model


def psnr(a, b):
    """a, b in [-1, 1]; PSNR of the 8-bit images."""
    qa = ((a.clamp(-1, 1) + 1) * 127.5).round()
    qb = ((b.clamp(-1, 1) + 1) * 127.5).round()
    mse = ((qa - qb) ** 2).mean().item()
    return 10 * math.log10(255 ** 2 / max(mse, 1e-10))


class Trainer:
    def __init__(self, a):
        self.a = a
        self.dev = torch.device(a.device)
        torch.manual_seed(a.seed)
        self.cfg = default_config(a.dim, a.compressor_dim, dim_mults=tuple(range(1, a.levels + 1)))
        self.model = to_channels_last(CDC(self.cfg).to(self.dev))
        self.head = to_channels_last(nn.Conv2d(self.cfg["out_channels"], 3, 3, padding=1).to(self.dev))
        prior = self.model.context_fn.prior
        main = [p for n, p in self.model.named_parameters() if not n.endswith("prior._medians")]
        self.opt = torch.optim.Adam(main + list(self.head.parameters()), lr=a.lr)
        self.opt_med = torch.optim.Adam([prior._medians], lr=a.median_lr)
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.step, self.elapsed, self.lam_ctrl, self.bpp_avg = 0, 0.0, a.lmbda, None
        self.history = []
        self.gen = torch.Generator(device=self.dev)
        self.gen.manual_seed(a.seed)
        self.state_path = os.path.join(a.state_dir or a.out, f"{a.tag}.state.pt")
        self._resume()
        self.train_fwd = torch.compile(self._forward) if a.compile else self._forward

    # -- state
    def _resume(self):
        if os.path.exists(self.state_path):
            s = torch.load(self.state_path, map_location=self.dev, weights_only=False)
            self.model.load_state_dict(s["model"])
            self.ema.load_state_dict(s["ema"])
            self.head.load_state_dict(s["head"])
            self.opt.load_state_dict(s["opt"])
            self.opt_med.load_state_dict(s["opt_med"])
            self.step, self.elapsed, self.lam_ctrl = s["step"], s["elapsed"], s["lam_ctrl"]
            self.bpp_avg, self.history = s.get("bpp_avg"), s.get("history", [])
            self.gen.set_state(s["gen"].cpu())
            torch.set_rng_state(s["cpu_rng"].cpu())
            if self.dev.type == "cuda" and s.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(s["cuda_rng"].cpu())
            print(f"[{self.a.tag}] resumed {self.state_path}: step {self.step}, {self.elapsed / 60:.1f} min", flush=True)
        elif self.a.init:
            load_reference_checkpoint(self.model, self.a.init)
            self.ema.load_state_dict(self.model.state_dict())
            info = os.path.splitext(self.a.init)[0] + ".log.json"
            if os.path.exists(info):
                j = json.load(open(info))
                self.step, self.elapsed = j.get("step", 0), j.get("elapsed", 0.0)
                self.lam_ctrl, self.history = j.get("lam_ctrl", self.lam_ctrl), j.get("history", [])
            print(f"[{self.a.tag}] initialised from {self.a.init} (step {self.step}); fresh optimizer", flush=True)

    def save(self):
        os.makedirs(os.path.dirname(self.state_path) or ".", exist_ok=True)
        s = {"model": self.model.state_dict(), "ema": self.ema.state_dict(), "head": self.head.state_dict(),
             "opt": self.opt.state_dict(), "opt_med": self.opt_med.state_dict(), "step": self.step,
             "elapsed": self.elapsed, "lam_ctrl": self.lam_ctrl, "bpp_avg": self.bpp_avg,
             "history": self.history, "gen": self.gen.get_state(), "cpu_rng": torch.get_rng_state(),
             "cuda_rng": torch.cuda.get_rng_state() if self.dev.type == "cuda" else None,
             "cfg": self.cfg, "args": vars(self.a)}
        torch.save(s, self.state_path + ".tmp")
        os.replace(self.state_path + ".tmp", self.state_path)
        self.export()

    def export(self):
        os.makedirs(self.a.out, exist_ok=True)
        sd = {"ema_model." + k: v.detach().float().contiguous().cpu() for k, v in self.ema.state_dict().items()}
        sd["initted"] = torch.tensor([True])
        sd["step"] = torch.tensor([self.step])
        torch.save({"ema": sd, "step": self.step}, os.path.join(self.a.out, f"{self.a.tag}.pt"))
        cfg = {k: self.cfg[k] for k in EXPORT_KEYS}
        cfg.update(default_steps=2, default_gamma=0.0)
        with open(os.path.join(self.a.out, f"{self.a.tag}.config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        log = {"tag": self.a.tag, "step": self.step, "elapsed": self.elapsed, "lam_ctrl": self.lam_ctrl,
               "lambda_now": self.lmbda(), "args": vars(self.a), "history": self.history}
        with open(os.path.join(self.a.out, f"{self.a.tag}.log.json"), "w") as f:
            json.dump(log, f, indent=1)

    # -- schedules (functions of the fraction of the training-time budget done)
    def frac(self):
        return min(1.0, self.elapsed / (self.a.total_minutes * 60))

    def lr(self):
        f = self.frac()
        if f < 0.02:
            return self.a.lr * (0.1 + 0.9 * f / 0.02)
        g = (f - 0.02) / 0.98
        lo = self.a.lr * self.a.lr_min_frac
        return lo + 0.5 * (self.a.lr - lo) * (1 + math.cos(math.pi * g))

    def lmbda(self):
        f, w = self.frac(), self.a.warmup_frac
        if f >= w:
            return self.lam_ctrl
        return self.lam_ctrl * self.a.lmbda_start_frac ** (1 - f / w)

    # -- one step
    def _forward(self, x, lam):
        m, a = self.model, self.a
        cf, T = m.context_fn, m.num_timesteps
        ac = torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=bool(a.bf16) and self.dev.type == "cuda")
        with ac:
            y = cf.encode(x)
            z = cf.hyper_encode(y)
        y, z = y.float(), z.float()
        med = cf.prior._medians.detach()
        zq = z + (torch.round(z - med) + med - z).detach()
        pz = cf.prior.likelihood(z + torch.rand_like(z) - 0.5)
        with ac:
            mean, scale = cf.hyper_decode(zq)
        mean, scale = mean.float(), scale.float()
        yq = y + (torch.round(y - mean) + mean - y).detach()
        yr = yq if a.rate == "ste" else y + torch.rand_like(y) - 0.5
        py = gaussian_likelihood(yr, mean, scale)
        bits = -(torch.log2(py.clamp(min=1e-9)).sum() + torch.log2(pz.clamp(min=1e-9)).sum())
        bpp = bits / (x.shape[0] * x.shape[2] * x.shape[3])
        t = torch.randint(0, T, (x.shape[0],), device=x.device)
        noise = torch.randn_like(x)
        xt = m.train_sqrt_alphas_cumprod[t].view(-1, 1, 1, 1) * x + \
            m.train_sqrt_one_minus_alphas_cumprod[t].view(-1, 1, 1, 1) * noise
        with ac:
            ctx = cf.decode(yq)
            aux = self.head(ctx[0])
            pred = m.denoise_fn(xt, (t.float() / T)[:, None], ctx)
        w = m.train_snr[t].clamp(a.snr_floor, a.snr_cap)
        mse_t = ((pred.float() - x) ** 2).mean(dim=(1, 2, 3))
        dist = (w * mse_t).mean()
        aux_mse = ((aux.float() - x) ** 2).mean()
        loss = lam * bpp + dist + a.aux_weight * aux_mse
        return loss, bpp.detach(), mse_t.mean().detach(), aux_mse.detach()

    def train_step(self, x):
        for g in self.opt.param_groups:
            g["lr"] = self.lr()
        lam = self.lmbda()
        loss, bpp, mse, aux = self.train_fwd(x, torch.tensor(lam, device=self.dev))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.a.clip > 0:
            torch.nn.utils.clip_grad_norm_([p for g in self.opt.param_groups for p in g["params"]], self.a.clip)
        self.opt.step()
        med_loss = self.model.context_fn.prior.aux_loss()
        self.opt_med.zero_grad(set_to_none=True)
        med_loss.backward()
        self.opt_med.step()
        self.step += 1
        with torch.no_grad():
            d = min(self.a.ema, (1 + self.step) / (10 + self.step))
            ep = list(self.ema.parameters())
            mp = list(self.model.parameters())
            torch._foreach_mul_(ep, d)
            torch._foreach_add_(ep, mp, alpha=1 - d)
        return bpp, mse, aux, med_loss.detach()

    def steer(self, b, n):
        """Slow multiplicative control of lambda towards --target-bpp (after half the warm-up);
        b is the mean training bpp of the last n steps."""
        k = 1 - 0.98 ** n
        self.bpp_avg = b if self.bpp_avg is None else (1 - k) * self.bpp_avg + k * b
        if self.a.target_bpp > 0 and self.frac() >= self.a.warmup_frac * 0.5:
            err = max(-1.0, min(1.0, math.log(self.bpp_avg / self.a.target_bpp)))
            self.lam_ctrl *= math.exp(0.002 * n * err)

    # -- validation
    @torch.no_grad()
    def validate(self, vals):
        m = self.ema
        r = {"step": self.step, "minutes": round(self.elapsed / 60, 2), "lambda": self.lmbda()}
        tot = {"bpp": 0.0, "psnr1": 0.0, "psnr2": 0.0, "psnr_head": 0.0}
        for x in vals:
            x = x.to(self.dev).contiguous(memory_format=torch.channels_last)
            out = m.context_fn(x)
            tot["bpp"] += out["bpp"].item()
            for s in (1, 2):
                tot[f"psnr{s}"] += psnr(m.decode(out["context"], x.shape, steps=s), x)
            tot["psnr_head"] += psnr(self.head(out["context"][0]), x)
        r.update({k: round(v / len(vals), 4) for k, v in tot.items()})
        self.history.append(r)
        print(f"[{self.a.tag}] VAL {json.dumps(r)}", flush=True)
        return r


def main():
    a = parse_args()
    t_start = time.time()
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    tr = Trainer(a)
    _, train = load_photos(os.path.join(a.data, "train"))
    _, val = load_photos(os.path.join(a.data, "val"))
    sampler = CropSampler(train, a.crop, tr.dev)
    vals = val_tensors(val, 64, a.val_max_side)
    n_u = sum(p.numel() for p in tr.model.denoise_fn.parameters())
    n_c = sum(p.numel() for p in tr.model.context_fn.parameters())
    print(f"[{a.tag}] {len(sampler)} train photos, {len(vals)} val; U-Net {n_u / 1e6:.2f}M, compressor "
          f"{n_c / 1e6:.2f}M params; setup {time.time() - t_start:.1f} s", flush=True)
    budget = a.minutes * 60
    reserve = 45.0  # final validation + save
    last_eval = time.time()
    t_log, s_log = time.time(), tr.step
    acc = bsum = None
    while True:
        now = time.time()
        if now - t_start > budget - reserve or (a.max_steps and tr.step >= a.max_steps):
            break
        t0 = time.time()
        x = sampler.sample(a.batch, tr.gen)
        st = torch.stack(tr.train_step(x))
        acc = st if acc is None else acc + st
        bsum = st[0] if bsum is None else bsum + st[0]
        if tr.step % 10 == 0:
            tr.steer(bsum.item() / 10, 10)
            bsum = None
        if tr.step % a.log_every == 0:
            v = (acc / (tr.step - s_log)).tolist()
            dt = time.time() - t_log
            print(f"[{a.tag}] step {tr.step} bpp {v[0]:.4f} mse {v[1]:.5f} head_mse {v[2]:.5f} med {v[3]:.3f} "
                  f"lambda {tr.lmbda():.5f} lr {tr.lr():.2e} {(tr.step - s_log) / dt:.2f} it/s "
                  f"({tr.elapsed / 60:.2f} min)", flush=True)
            t_log, s_log, acc = time.time(), tr.step, None
        tr.elapsed += time.time() - t0
        if time.time() - last_eval > a.eval_every:
            tr.validate(vals)
            last_eval = time.time()
    tr.validate(vals)
    tr.save()
    print(f"[{a.tag}] done: step {tr.step}, {tr.elapsed / 60:.2f} training min, wall {time.time() - t_start:.0f} s",
          flush=True)


if __name__ == "__main__":
    main()
