"""training/python: the 1-step decode path and decoder-only fine-tuning.

- CDC.decode(steps=1) is the library's 1-step decode: one U-Net call on x_N = 0 at t = (T-1)/T.
- train.py --freeze (encoder, hyperprior, prior) --diffusion-weight 0 --decode-weight 1 trains the
  context decoder and U-Net only: the exported encoder, hyperprior and prior tensors are exactly
  the ones it started from, so every stream keeps its bits.
- cdc_model.widen_state / train.py --init-widen: a wider context decoder starts as the narrow
  model's function (same bits, same decoded image), and its channel copies train apart.

No pycdc needed; skipped without numpy or Pillow.
"""

import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = os.path.join(REPO, "training", "python")
TRAIN = os.path.join(PY, "train.py")
sys.path.insert(0, PY)

from cdc_model import CDC, default_config, widen_state  # noqa: E402
from train_photos import make_photos  # noqa: E402

FROZEN = ("context_fn.enc.", "context_fn.hyper_enc.", "context_fn.hyper_dec.", "context_fn.prior.")


def test_one_step_decode_is_the_library_path():
    torch.manual_seed(0)
    m = CDC(default_config(8, 8, dim_mults=(1, 2))).eval()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        ctx = m.context_fn(x)["context"]
        T = m.num_timesteps
        want = m.denoise_fn(torch.zeros_like(x), torch.full((1, 1), (T - 1) / T), ctx).clamp(-1, 1)
        got = m.decode(ctx, x.shape, steps=1)
        at_zero = m.denoise_fn(torch.zeros_like(x), torch.zeros(1, 1), ctx).clamp(-1, 1)
    assert torch.equal(got, want)
    assert not torch.allclose(got, at_zero)  # t matters: the test can tell the two apart
    # the training objective and diagnose.py differentiate the same path
    out = m.one_step_decode(m.context_fn(x)["context"], x.shape)
    assert out.requires_grad
    out.square().mean().backward()
    assert m.denoise_fn.final_conv[1].weight.grad.abs().sum() > 0
    assert m.context_fn.dec[0][0].block1.block[0].weight.grad.abs().sum() > 0


def train(args):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    p = subprocess.run([sys.executable, TRAIN, "--device", "cpu", "--bf16", "0", "--dim", "8", "--levels", "2",
                        "--compressor-dim", "8", "--crop", "64", "--batch", "2", "--minutes", "10",
                        "--eval-every", "1e9", "--log-every", "1", "--val-max-side", "64"] + args,
                       capture_output=True, text=True, env=env, timeout=240)
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
    return p.stdout


def test_decoder_fine_tune_keeps_the_coding_path(tmp_path):
    make_photos(tmp_path / "data", n_train=3, seed=1)
    train(["--tag", "base", "--out", str(tmp_path / "base"), "--data", str(tmp_path / "data"), "--max-steps", "2"])
    init = str(tmp_path / "base" / "base.pt")
    out = train(["--tag", "dec", "--out", str(tmp_path / "dec"), "--data", str(tmp_path / "data"),
                 "--init", init, "--freeze", "context_fn.enc,context_fn.hyper,context_fn.prior",
                 "--diffusion-weight", "0", "--decode-weight", "1", "--aux-weight", "0", "--lr", "1e-3",
                 "--max-steps", "4"])
    assert "step 4 " in out
    before = torch.load(init, map_location="cpu")["ema"]
    after = torch.load(str(tmp_path / "dec" / "dec.pt"), map_location="cpu")["ema"]
    assert before.keys() == after.keys()
    fixed, trained = 0, {"context_fn.dec.": 0, "denoise_fn.": 0}
    for k, v in before.items():
        name = k[len("ema_model."):]
        if name.startswith(FROZEN):
            assert torch.equal(v, after[k]), name
            fixed += 1
        elif name.startswith(tuple(trained)) and (v - after[k]).abs().max() > 1e-4:  # Adam steps of ~lr, not EMA rounding
            trained[next(p for p in trained if name.startswith(p))] += 1
    # the decode term alone (no head, no diffusion loss) trains both the context decoder and the U-Net
    assert fixed > 0 and all(n > 0 for n in trained.values()), trained


def test_widen_state_computes_the_same_function():
    torch.manual_seed(0)
    narrow = CDC(default_config(8, 8, dim_mults=(1, 2))).eval()
    with torch.no_grad():  # layer-norm gains and biases away from 1 and 0: the test sees them
        for p in narrow.parameters():
            p.add_(0.05 * torch.randn_like(p))
    wide = CDC(default_config(8, 8, dim_mults=(1, 2), reverse_dim_mults=(4, 6, 4, 2), context_channels=16)).eval()
    wide.load_state_dict(widen_state(wide, narrow.state_dict()))
    x = torch.rand(2, 3, 128, 192) * 2 - 1
    with torch.no_grad():
        a, b = narrow.context_fn(x), wide.context_fn(x)
        assert torch.equal(a["q_latent"], b["q_latent"]) and torch.equal(a["bpp"], b["bpp"])
        assert [c.shape[1] * 2 for c in a["context"]] == [c.shape[1] for c in b["context"]]
        da, db = narrow.decode(a["context"], x.shape), wide.decode(b["context"], x.shape)
    assert (da - db).abs().max().item() < 1e-4
    assert (da - torch.zeros_like(da)).abs().mean().item() > 0.05  # not a trivial all-zero image
    # the copies of one channel are not twins: the layers reading them share each weight unevenly
    w = wide.state_dict()["context_fn.dec.1.0.block1.block.0.weight"]
    half = w.shape[1] // 2
    assert not torch.allclose(w[:, :half], w[:, half:])
    assert torch.allclose(w[:, :half] + w[:, half:], narrow.state_dict()["context_fn.dec.1.0.block1.block.0.weight"].repeat(2, 1, 1, 1), atol=1e-6)


def test_widen_state_refuses_a_narrower_layout():
    narrow = CDC(default_config(8, 8, dim_mults=(1, 2)))
    wide = CDC(default_config(8, 8, dim_mults=(1, 2), reverse_dim_mults=(4, 6, 4, 2), context_channels=16))
    with pytest.raises(ValueError):
        widen_state(narrow, wide.state_dict())


def test_init_widen_trains_a_wider_decoder_from_the_narrow_one(tmp_path):
    make_photos(tmp_path / "data", n_train=3, seed=2)
    train(["--tag", "base", "--out", str(tmp_path / "base"), "--data", str(tmp_path / "data"), "--max-steps", "2"])
    init = str(tmp_path / "base" / "base.pt")
    wide = ["--reverse-dim-mults", "4,6,4,2", "--context-channels", "16"]
    out = train(["--tag", "w", "--out", str(tmp_path / "w"), "--data", str(tmp_path / "data"), "--init", init,
                 "--init-widen", "1", "--freeze", "context_fn.enc,context_fn.hyper,context_fn.prior",
                 "--diffusion-weight", "0", "--decode-weight", "1", "--lr", "1e-3", "--max-steps", "3"] + wide)
    assert "widened to this layout" in out and "step 3 " in out
    before = torch.load(init, map_location="cpu")["ema"]
    after = torch.load(str(tmp_path / "w" / "w.pt"), map_location="cpu")["ema"]
    assert set(before) <= set(after)  # plus 1x1 shortcuts where a narrow block's was the identity
    grown = 0
    for k, v in before.items():
        if k[len("ema_model."):].startswith(FROZEN):
            assert torch.equal(v, after[k]), k
        elif v.shape != after[k].shape:
            grown += 1
    assert grown > 10
