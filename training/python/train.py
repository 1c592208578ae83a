#!/usr/bin/env python3
"""Train a CDC x-param model (cdc_model.CDC) for a wall-clock budget, then save and exit.

Objective per batch (training/README.md and shared/docs/training-notes.md give the reasons):
  lambda * bpp                     y: straight-through rounding around the mean (the coded rate),
                                   z: uniform noise under the factorized prior
  + mean(clamp(SNR(t), 1, 5) * |x0 - X(x_t, t, context)|^2)   t uniform over the T train steps
  + aux_weight * |x0 - head(context_0)|^2   (one 3x3 conv, training only, never exported)
  + decode_weight * |x0 - X(0, (T-1)/T, context)|^2   the library's default 1-step decode
                                   (x_N = 0), the exact path a stream is decoded by
(--diffusion-weight scales the second term; --freeze keeps named parts fixed, e.g. the encoder and
hyperprior for a decoder-only fine-tune that leaves every stream's bits unchanged)
and the prior's median loss on its own Adam. lambda warms up from lambda * start_frac
(log-linearly over warmup_frac of the schedule); with --target-bpp it is then steered slowly so the
training rate meets the target. LR: linear warm-up then cosine decay over --total-minutes, measured
in training time accumulated over resumed calls.

Outputs in --out: <tag>.pt (reference layout {"ema": {"ema_model.<key>": ...}}), <tag>.config.json,
<tag>.log.json (validation history); the full resumable state goes to --state-dir.

Several processes / machines: launched by torchrun (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR in the
environment) the trainer runs DistributedDataParallel (gloo on the CPU, nccl on CUDA, one GPU per
process). --batch is per process and per micro-batch: the global batch is batch x --accum x world size.
Every micro-batch of every rank is a "slot" with its own random streams (crops, t, noise), so a run
depends on the global layout (world x accum) only: 2 ranks with --accum 1 train like 1 process with
--accum 2, up to float summation order. Rank 0 alone writes state, exports, logs and validates.
Without torchrun's variables a run is a plain single process, as before.
"""
import argparse
import contextlib
import copy
import hashlib
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
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
    ap.add_argument("--init", default=None,
                    help="reference-layout checkpoint (.pt) or libcdc model file (.cdcm) to start from when no state")
    ap.add_argument("--head-warmup", type=int, default=0,
                    help="the first N steps train only the fresh MSE head (use with --init)")
    ap.add_argument("--extra-train", action="append", default=[],
                    help="another folder of training photos (e.g. cache/train_full); repeatable")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "cache"))
    ap.add_argument("--minutes", type=float, default=8.5, help="wall-clock budget of this call")
    ap.add_argument("--total-minutes", type=float, default=25.0, help="training time the schedules span")
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--levels", type=int, default=6)
    ap.add_argument("--compressor-dim", type=int, default=24)
    ap.add_argument("--reverse-dim-mults", default="4,3,2,1",
                    help="the context decoder's widths in units of --compressor-dim (first entry 4)")
    ap.add_argument("--context-channels", type=int, default=0,
                    help="channels of the finest context map (0: --compressor-dim)")
    ap.add_argument("--init-skip", default="",
                    help="with --init-partial: comma-separated name prefixes that stay fresh even where "
                         "the shapes match (e.g. context_fn.dec. to retrain the context decoder)")
    ap.add_argument("--init-partial", type=int, default=0,
                    help="1: --init loads only the tensors this layout shares with the model (a wider "
                         "layout); --head-warmup then trains the head and the fresh tensors only")
    ap.add_argument("--init-widen", type=int, default=0,
                    help="1: --init is a narrower model of this family (e.g. the compact context decoder "
                         "under --reverse-dim-mults 4,6,4,2 --context-channels 48): every widened layer "
                         "starts as copies of the narrow one's channels, so training starts from the same "
                         "decoded images (cdc_model.widen_state)")
    ap.add_argument("--lmbda", type=float, default=0.0064)
    ap.add_argument("--target-bpp", type=float, default=0.0, help="steer lambda to this training bpp")
    ap.add_argument("--lmbda-start-frac", type=float, default=0.05)
    ap.add_argument("--warmup-frac", type=float, default=0.2)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--lr-min-frac", type=float, default=0.1)
    ap.add_argument("--median-lr", type=float, default=5e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--accum", type=int, default=1,
                    help="micro-batches per step (gradient accumulation); global batch = batch x accum x ranks")
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--aux-weight", type=float, default=1.0)
    ap.add_argument("--diffusion-weight", type=float, default=1.0,
                    help="weight of the SNR-weighted diffusion loss over uniform t")
    ap.add_argument("--decode-weight", type=float, default=0.0,
                    help="weight of the MSE of the 1-step decode from x_N = 0 (what the library decodes)")
    ap.add_argument("--freeze", default="",
                    help="comma-separated parameter name prefixes that are not trained (e.g. "
                         "context_fn.enc,context_fn.hyper,context_fn.prior: the rate stays as it is)")
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


def slot_seeds(seed, slot):
    """(crop generator seed, torch RNG seed) of one micro-batch slot (slot = rank * accum + k). Slot 0
    keeps --seed for its crops and the torch RNG as it stands after the model's initialisation, so a
    single process draws exactly what it always drew."""
    return seed + 1000003 * slot, seed + 1000003 * slot + 500009


def rng_get(dev):
    return torch.get_rng_state(), (torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None)


def rng_set(state, dev):
    torch.set_rng_state(state[0].cpu())
    if dev.type == "cuda" and state[1] is not None:
        torch.cuda.set_rng_state(state[1].cpu(), dev)


def to_cpu(obj):
    """A copy of nested dicts / lists / tuples with every tensor on the CPU (for sending to other ranks)."""
    if torch.is_tensor(obj):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


def init_distributed(device):
    """Under torchrun (RANK and WORLD_SIZE set): join the process group, gloo for the CPU, nccl for
    CUDA (one GPU per process: cuda:LOCAL_RANK). Returns (rank, world size, device); (0, 1, device)
    for a plain process, which never touches torch.distributed."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return 0, 1, device
    if not dist.is_available():
        raise SystemExit("launched by torchrun, but this PyTorch has no torch.distributed")
    dev = torch.device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(dev)
    dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), str(dev)


class Objective(nn.Module):
    """The training loss of one micro-batch: the model and the head in one module, so that
    DistributedDataParallel can wrap it."""

    def __init__(self, model, head, a, dev):
        super().__init__()
        self.model, self.head = model, head
        self.a, self.dev = a, dev

    def forward(self, x, lam):
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
        loss = lam * bpp
        mse_t = torch.zeros(x.shape[0], device=x.device)
        if a.diffusion_weight > 0:
            with ac:
                pred = m.denoise_fn(xt, (t.float() / T)[:, None], ctx)
            w = m.train_snr[t].clamp(a.snr_floor, a.snr_cap)
            mse_t = ((pred.float() - x) ** 2).mean(dim=(1, 2, 3))
            loss = loss + a.diffusion_weight * (w * mse_t).mean()
        if a.decode_weight > 0:
            with ac:
                x0 = m.one_step_decode(ctx, x.shape)
            mse_d = ((x0.float() - x) ** 2).mean(dim=(1, 2, 3))
            loss = loss + a.decode_weight * mse_d.mean()
            if a.diffusion_weight <= 0:
                mse_t = mse_d
        aux_mse = ((aux.float() - x) ** 2).mean()
        loss = loss + a.aux_weight * aux_mse
        return loss, bpp.detach(), mse_t.mean().detach(), aux_mse.detach()


class Trainer:
    def __init__(self, a, rank=0, world=1):
        self.a = a
        self.dev = torch.device(a.device)
        self.rank, self.world = rank, world
        self.ddp = dist.is_available() and dist.is_initialized()
        if a.accum < 1:
            raise SystemExit("--accum must be at least 1")
        if a.init_widen and (a.init_partial or not a.init):
            raise SystemExit("--init-widen needs --init and excludes --init-partial")
        # host-side agreements (step time, stop, object exchange) go over gloo, also next to nccl
        self.cgroup = dist.new_group(backend="gloo") if self.ddp and dist.get_backend() == "nccl" else None
        torch.manual_seed(a.seed)
        rev = tuple(int(v) for v in a.reverse_dim_mults.split(","))
        self.cfg = default_config(a.dim, a.compressor_dim, dim_mults=tuple(range(1, a.levels + 1)),
                                  reverse_dim_mults=rev, context_channels=a.context_channels or None)
        self.warm = set()  # names of the parameters a partial --init loaded
        self.model = to_channels_last(CDC(self.cfg).to(self.dev))
        self.head = to_channels_last(nn.Conv2d(self.cfg["out_channels"], 3, 3, padding=1).to(self.dev))
        frozen = tuple(p for p in a.freeze.split(",") if p)
        for n, p in self.model.named_parameters():
            if n.startswith(frozen):
                p.requires_grad_(False)
        prior = self.model.context_fn.prior
        main = [p for n, p in self.model.named_parameters() if not n.endswith("prior._medians")]
        self.opt = torch.optim.Adam(main + list(self.head.parameters()), lr=a.lr)
        self.opt_med = torch.optim.Adam([prior._medians], lr=a.median_lr)
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.step, self.elapsed, self.lam_ctrl, self.bpp_avg = 0, 0.0, a.lmbda, None
        self.history = []
        self.bsum, self.nb = None, 0  # training bpp summed since the last steering (steps % 10)
        # one random stream pair (crops, torch RNG) per micro-batch slot of the global batch
        self.slots = [rank * a.accum + k for k in range(a.accum)]
        self.n_slots = world * a.accum
        self.gens, self.rngs = [], []
        for g in self.slots:
            gen = torch.Generator(device=self.dev)
            gen.manual_seed(slot_seeds(a.seed, g)[0])
            self.gens.append(gen)
            self.rngs.append(None if g == 0 else self._seeded_rng(slot_seeds(a.seed, g)[1]))
        self.gen = self.gens[0]
        self.state_path = os.path.join(a.state_dir or a.out, f"{a.tag}.state.pt")
        self._resume()
        # frozen parameters: the EMA holds them exactly (an EMA step d * e + (1 - d) * e need not
        # round back to e), also where an earlier state let them drift
        with torch.no_grad():
            for p, e in zip(self.model.parameters(), self.ema.parameters()):
                if not p.requires_grad:
                    e.copy_(p)
        if len(self.slots) == 1:
            if self.rngs[0] is not None:  # the one slot of this process owns the torch RNG
                rng_set(self.rngs[0], self.dev)
                self.rngs[0] = None
        else:
            self.rngs = [rng_get(self.dev) if r is None else r for r in self.rngs]
        self.obj = Objective(self.model, self.head, a, self.dev)
        self.net = self.obj
        if self.ddp:
            from torch.nn.parallel import DistributedDataParallel as DDP
            # the medians take no gradient from the loss: their own step all-reduces theirs
            DDP._set_params_and_buffers_to_ignore_for_model(self.obj, ["model.context_fn.prior._medians"])
            self.net = DDP(self.obj, device_ids=[self.dev.index] if self.dev.type == "cuda" else None,
                           broadcast_buffers=False)
        self.train_fwd = torch.compile(self.net) if a.compile else self.net

    def _seeded_rng(self, seed):
        keep = rng_get(self.dev)
        torch.manual_seed(seed)
        state = rng_get(self.dev)
        rng_set(keep, self.dev)
        return state

    def _say(self, msg):
        if self.rank == 0:
            print(f"[{self.a.tag}] {msg}", flush=True)

    # -- state
    def _resume(self):
        """Rank 0 reads the state (or the --init model); under DDP it sends what it read to the
        other ranks, so the state dir need not be shared between machines."""
        share = None
        if self.rank == 0:
            if os.path.exists(self.state_path):
                s = torch.load(self.state_path, map_location="cpu" if self.ddp else self.dev, weights_only=False)
                self._apply_state(s)
                share = s
                self._say(f"resumed {self.state_path}: step {self.step}, {self.elapsed / 60:.1f} min")
            elif self.a.init and self.a.init_partial:
                skip = tuple(p for p in self.a.init_skip.split(",") if p)
                self.warm = load_reference_checkpoint(self.model, self.a.init, partial=True, skip=skip)
                self.ema.load_state_dict(self.model.state_dict())
                n_all = len(self.model.state_dict())
                self._say(f"initialised {len(self.warm)} of {n_all} tensors from {self.a.init}; "
                          "the others are fresh; fresh optimizer and schedules")
                if self.ddp:
                    share = to_cpu(self._state())
            elif self.a.init and self.a.init_widen:
                load_reference_checkpoint(self.model, self.a.init, widen=True)
                self.ema.load_state_dict(self.model.state_dict())
                self._say(f"initialised from {self.a.init}, widened to this layout; fresh optimizer")
                if self.ddp:
                    share = to_cpu(self._state())
            elif self.a.init:
                load_reference_checkpoint(self.model, self.a.init)
                self.ema.load_state_dict(self.model.state_dict())
                info = os.path.splitext(self.a.init)[0] + ".log.json"
                if os.path.exists(info):
                    j = json.load(open(info))
                    self.step, self.elapsed = j.get("step", 0), j.get("elapsed", 0.0)
                    self.lam_ctrl, self.history = j.get("lam_ctrl", self.lam_ctrl), j.get("history", [])
                self._say(f"initialised from {self.a.init} (step {self.step}); fresh optimizer")
                if self.ddp:
                    share = to_cpu(self._state())
        if self.ddp:
            box = [share]
            dist.broadcast_object_list(box, src=0, group=self.cgroup)
            if self.rank != 0 and box[0] is not None:
                self._apply_state(box[0])

    def _apply_state(self, s):
        self.model.load_state_dict(s["model"])
        self.ema.load_state_dict(s["ema"])
        self.head.load_state_dict(s["head"])
        self.opt.load_state_dict(s["opt"])
        self.opt_med.load_state_dict(s["opt_med"])
        self.step, self.elapsed, self.lam_ctrl = s["step"], s["elapsed"], s["lam_ctrl"]
        self.bpp_avg, self.history = s.get("bpp_avg"), s.get("history", [])
        self.warm = set(s.get("warm", []))
        if s.get("bsum") is not None:
            self.bsum, self.nb = torch.tensor(s["bsum"], device=self.dev), s["nb"]
        if "gen" not in s:
            return
        streams = s.get("streams")
        same = streams is not None and len(streams) == self.n_slots
        if not same and self.n_slots > 1:
            self._say(f"the global batch layout changed ({s.get('layout')} -> [{self.world}, {self.a.accum}] "
                      "ranks x accum): slots other than the first start new random streams")
        for k, g in enumerate(self.slots):
            if same:
                self.gens[k].set_state(streams[g]["gen"].cpu())
                self.rngs[k] = streams[g]["rng"]
            elif g == 0:
                self.gens[k].set_state(s["gen"].cpu())
                self.rngs[k] = (s["cpu_rng"], s.get("cuda_rng"))
            else:
                seeds = slot_seeds(self.a.seed + self.step, g)
                self.gens[k].manual_seed(seeds[0])
                self.rngs[k] = self._seeded_rng(seeds[1])

    def _state(self):
        return {"model": self.model.state_dict(), "ema": self.ema.state_dict(), "head": self.head.state_dict(),
                "opt": self.opt.state_dict(), "opt_med": self.opt_med.state_dict(), "step": self.step,
                "elapsed": self.elapsed, "lam_ctrl": self.lam_ctrl, "bpp_avg": self.bpp_avg,
                "history": self.history, "bsum": None if self.bsum is None else self.bsum.item(), "nb": self.nb,
                "warm": sorted(self.warm)}

    def save(self):
        """Under DDP every rank calls this (the random streams of all slots are gathered); rank 0 writes."""
        mine = [{"gen": gen.get_state(), "rng": rng_get(self.dev) if r is None else r}
                for gen, r in zip(self.gens, self.rngs)]
        if self.ddp:
            parts = [None] * self.world
            dist.all_gather_object(parts, mine, group=self.cgroup)
            streams = [x for p in parts for x in p]
        else:
            streams = mine
        if self.rank != 0:
            return
        os.makedirs(os.path.dirname(self.state_path) or ".", exist_ok=True)
        s = self._state()
        s.update(gen=streams[0]["gen"], cpu_rng=streams[0]["rng"][0], cuda_rng=streams[0]["rng"][1],
                 cfg=self.cfg, args=vars(self.a), streams=streams, layout=[self.world, self.a.accum])
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
        # rate_lambda: the trade-off these weights were trained for (the encoder's effort levels
        # use it); `cdc convert --rate-lambda` stores it in the model file
        cfg.update(default_steps=2, default_gamma=0.0, rate_lambda=self.lmbda())
        with open(os.path.join(self.a.out, f"{self.a.tag}.config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        log = {"tag": self.a.tag, "step": self.step, "elapsed": self.elapsed, "lam_ctrl": self.lam_ctrl,
               "lambda_now": self.lmbda(), "args": vars(self.a), "history": self.history}
        with open(os.path.join(self.a.out, f"{self.a.tag}.log.json"), "w") as f:
            json.dump(log, f, indent=1)

    # -- DDP agreements
    def mean_over_ranks(self, t):
        """The mean of a device tensor over the ranks (the same bits on every rank)."""
        dist.all_reduce(t)
        return t / self.world

    def agree(self, dt, stop):
        """Host values every rank must share: the step time (the fastest rank's, so that waiting for
        rank 0's validation is not training time) and whether any rank wants to stop."""
        t = torch.tensor([dt, float(stop)], dtype=torch.float64)
        out = [torch.zeros_like(t) for _ in range(self.world)]
        dist.all_gather(out, t, group=self.cgroup)
        m = torch.stack(out)
        return m[:, 0].min().item(), bool(m[:, 1].max().item() > 0)

    def digest(self):
        """sha256 of everything the ranks must hold alike: weights, EMA, head, Adam states, step, lambda."""
        h = hashlib.sha256()
        sds = (self.model.state_dict(), self.ema.state_dict(), self.head.state_dict())
        for sd in sds:
            for k, v in sd.items():
                h.update(k.encode())
                h.update(v.detach().float().contiguous().cpu().numpy().tobytes())
        for opt in (self.opt, self.opt_med):
            for i, st in sorted(opt.state_dict()["state"].items()):
                for k, v in sorted(st.items()):
                    h.update(f"{i}.{k}".encode())
                    h.update(v.detach().float().contiguous().cpu().numpy().tobytes() if torch.is_tensor(v)
                             else repr(v).encode())
        h.update(repr((self.step, self.lam_ctrl, self.bpp_avg, self.elapsed)).encode())
        return h.hexdigest()

    def check_replicas(self):
        """All ranks: compare the digests; rank 0 reports. Returns True when all ranks agree."""
        parts = [None] * self.world
        dist.all_gather_object(parts, self.digest(), group=self.cgroup)
        ok = len(set(parts)) == 1
        self._say(f"replicas: {self.world} ranks, " + (f"identical state (sha256 {parts[0][:16]})" if ok else
                  "DIFFERENT states: " + " ".join(p[:16] for p in parts)))
        return ok

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
    def train_step(self, xs):
        """One optimizer step on a list of micro-batches (this process's slots; a tensor = one)."""
        if torch.is_tensor(xs):
            xs = [xs]
        for g in self.opt.param_groups:
            g["lr"] = self.lr()
        lam = torch.tensor(self.lmbda(), device=self.dev)
        n = len(xs)
        self.opt.zero_grad(set_to_none=True)
        tot = None
        for k, x in enumerate(xs):
            if n > 1:
                rng_set(self.rngs[k], self.dev)
            quiet = self.ddp and k < n - 1  # DDP all-reduces the gradients on the last micro-batch
            with self.net.no_sync() if quiet else contextlib.nullcontext():
                loss, bpp, mse, aux = self.train_fwd(x, lam)
                (loss / n if n > 1 else loss).backward()
            if n > 1:
                self.rngs[k] = rng_get(self.dev)
            st = torch.stack([bpp, mse, aux, loss.detach()])
            tot = st if tot is None else tot + st
        if n > 1:
            tot = tot / n
        if self.step < self.a.head_warmup:  # a fresh head first: the warm-started networks stay put
            for name, p in self.model.named_parameters():
                if not self.a.init_partial or name in self.warm:
                    p.grad = None
        if self.a.clip > 0:
            torch.nn.utils.clip_grad_norm_([p for g in self.opt.param_groups for p in g["params"]], self.a.clip)
        self.opt.step()
        prior = self.model.context_fn.prior
        med_loss = prior.aux_loss()
        self.opt_med.zero_grad(set_to_none=True)
        if prior._medians.requires_grad:
            med_loss.backward()
            if self.ddp:  # the same on every rank already (it depends on the weights only); kept exactly equal
                prior._medians.grad = self.mean_over_ranks(prior._medians.grad)
            self.opt_med.step()
        self.step += 1
        with torch.no_grad():
            d = min(self.a.ema, (1 + self.step) / (10 + self.step))
            pairs = [(e, p) for e, p in zip(self.ema.parameters(), self.model.parameters()) if p.requires_grad]
            ep, mp = [e for e, _ in pairs], [p for _, p in pairs]
            torch._foreach_mul_(ep, d)
            torch._foreach_add_(ep, mp, alpha=1 - d)
        return tot[0], tot[1], tot[2], med_loss.detach(), tot[3]

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
    rank, world, a.device = init_distributed(a.device)
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    tr = Trainer(a, rank, world)
    _, train = load_photos(os.path.join(a.data, "train"))
    for extra in a.extra_train:
        train += load_photos(extra if os.path.isabs(extra) else os.path.join(a.data, extra))[1]
    sampler = CropSampler(train, a.crop, tr.dev)
    vals = []
    if rank == 0:  # rank 0 alone validates
        _, val = load_photos(os.path.join(a.data, "val"))
        vals = val_tensors(val, 64, a.val_max_side)
    n_u = sum(p.numel() for p in tr.model.denoise_fn.parameters())
    n_c = sum(p.numel() for p in tr.model.context_fn.parameters())
    tr._say(f"{len(sampler)} train photos, {len(vals)} val; U-Net {n_u / 1e6:.2f}M, compressor "
            f"{n_c / 1e6:.2f}M params; setup {time.time() - t_start:.1f} s")
    if tr.ddp:
        tr._say(f"DDP: {world} ranks ({dist.get_backend()}), global batch {a.batch} x {a.accum} x {world} = "
                f"{a.batch * a.accum * world}")
    budget = a.minutes * 60
    reserve = 45.0  # final validation + save
    last_eval = time.time()
    t_log, s_log = time.time(), tr.step
    acc = None
    stop = tr.agree(0.0, time.time() - t_start > budget - reserve)[1] if tr.ddp else False
    while True:
        if tr.ddp:  # every rank must take the same decision (the last step's agreement)
            if stop or (a.max_steps and tr.step >= a.max_steps):
                break
        else:
            now = time.time()
            if now - t_start > budget - reserve or (a.max_steps and tr.step >= a.max_steps):
                break
        t0 = time.time()
        xs = [sampler.sample(a.batch, gen) for gen in tr.gens]
        st = torch.stack(tr.train_step(xs))
        if tr.ddp:  # the logged values and the lambda steering see the mean over all ranks
            st = tr.mean_over_ranks(st)
            dt, stop = tr.agree(time.time() - t0, time.time() - t_start > budget - reserve)
        acc = st if acc is None else acc + st
        tr.bsum = st[0] if tr.bsum is None else tr.bsum + st[0]
        tr.nb += 1
        if tr.step % 10 == 0:
            tr.steer(tr.bsum.item() / tr.nb, tr.nb)
            tr.bsum, tr.nb = None, 0
        if tr.step % a.log_every == 0:
            v = (acc / (tr.step - s_log)).tolist()
            dt_log = time.time() - t_log
            tr._say(f"step {tr.step} bpp {v[0]:.4f} mse {v[1]:.5f} head_mse {v[2]:.5f} med {v[3]:.3f} "
                    f"lambda {tr.lmbda():.5f} lr {tr.lr():.2e} {(tr.step - s_log) / dt_log:.2f} it/s "
                    f"({tr.elapsed / 60:.2f} min) loss {v[4]:.6f}")
            t_log, s_log, acc = time.time(), tr.step, None
        tr.elapsed += dt if tr.ddp else time.time() - t0
        if rank == 0 and time.time() - last_eval > a.eval_every:
            tr.validate(vals)
            last_eval = time.time()
    if rank == 0:
        tr.validate(vals)
    tr.save()
    ok = tr.check_replicas() if tr.ddp else True
    tr._say(f"done: step {tr.step}, {tr.elapsed / 60:.2f} training min, wall {time.time() - t_start:.0f} s")
    if not ok:
        print(f"[{a.tag}] error: the ranks ended with different states", file=sys.stderr, flush=True)
    if tr.ddp:
        dist.barrier(group=tr.cgroup)
        dist.destroy_process_group()
        # Leave without tearing down DDP's objects: in torch 1.13 the gloo process group's destructor
        # (run by the interpreter's exit, holding the GIL) can wait for a worker thread that waits
        # for the GIL, and the process never ends. Everything is written and flushed by now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0 if ok else 1)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
