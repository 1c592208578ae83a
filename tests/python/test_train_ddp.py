"""training/python/train.py under torchrun: 2 CPU processes (gloo) against 1 process.

What makes the runs comparable: train.py gives every micro-batch of the global batch (a "slot",
rank * accum + k) its own random streams for the crops and for t / noise, seeded from --seed and
the slot number. Two ranks with --batch 2 therefore draw exactly the crops and noise of one process
with --batch 2 --accum 2 (global batch 4 in both). DDP averages the two ranks' gradients; the single
process averages its two micro-batches' gradients (loss / 2 each): the same gradient up to float
summation order. The schedules are functions of the training time, so the test makes them flat
(--warmup-frac 0, --total-minutes 1e12): lr and lambda then differ by < 1e-12 between the runs.
The 2-process run is also stopped and resumed half-way (state written by rank 0, read by both).

No pycdc needed; skipped without torch.distributed / gloo, numpy or Pillow.
"""

import os
import re
import signal
import socket
import subprocess
import sys

import pytest
from train_photos import make_photos

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")
if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(REPO, "training", "python", "train.py")
STEPS, HALF = 10, 5  # lambda is steered every 10 steps: the 10th step checks the steering too

STEP_RE = re.compile(r"\[ddp\] step (\d+) .* lambda ([0-9.]+) .* loss ([0-9.]+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def common_args(data, out, steps):
    return ["--tag", "ddp", "--out", str(out), "--data", str(data), "--device", "cpu", "--bf16", "0",
            "--dim", "8", "--levels", "2", "--compressor-dim", "8", "--crop", "64", "--batch", "2",
            "--minutes", "10", "--total-minutes", "1e12", "--warmup-frac", "0", "--target-bpp", "0.3",
            "--eval-every", "1e9", "--log-every", "1", "--val-max-side", "64", "--max-steps", str(steps)]


def run(cmd):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # torchrun and its workers: no process left behind
        out, _ = p.communicate()
        pytest.fail(f"timed out: {' '.join(cmd)}\n{out[-4000:]}")
    assert p.returncode == 0, out[-4000:]
    return out


def torchrun(args, log_dir):
    # --redirects 1 --tee 1: stdout through log files and back to the console; also sidesteps
    # torchrun 1.13's "0" (no redirect) parsing that fails under Python 3.11.
    return run([sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
                "--master_addr", "127.0.0.1", "--master_port", str(free_port()), "--monitor_interval", "0.5",
                "--redirects", "1", "--tee", "1", "--log_dir", str(log_dir), TRAIN] + args)


def steps_of(out):
    return {int(m.group(1)): (float(m.group(2)), float(m.group(3))) for m in STEP_RE.finditer(out)}


def test_two_processes_match_one(tmp_path):
    data = tmp_path / "data"
    make_photos(data)
    one, two = tmp_path / "one", tmp_path / "two"

    out1 = run([sys.executable, TRAIN] + common_args(data, one, STEPS) + ["--accum", "2"])
    assert "DDP" not in out1 and "replicas" not in out1  # a plain process stays a plain process
    out2a = torchrun(common_args(data, two, HALF), tmp_path / "logs_a")
    out2b = torchrun(common_args(data, two, STEPS), tmp_path / "logs_b")  # resumes from step HALF
    for out in (out2a, out2b):
        assert "DDP: 2 ranks (gloo), global batch 2 x 1 x 2 = 4" in out, out[-3000:]
        assert "replicas: 2 ranks, identical state" in out, out[-3000:]  # sha256 of all ranks' state
    assert f"resumed {two}" in out2b

    s1, s2 = steps_of(out1), {**steps_of(out2a), **steps_of(out2b)}
    assert sorted(s1) == sorted(s2) == list(range(1, STEPS + 1))
    for k in s1:
        (lam1, loss1), (lam2, loss2) = s1[k], s2[k]
        assert loss2 == pytest.approx(loss1, rel=1e-4, abs=1e-5), (k, loss1, loss2)
        assert lam2 == pytest.approx(lam1, rel=1e-4), (k, lam1, lam2)

    st1 = torch.load(one / "ddp.state.pt", map_location="cpu")
    st2 = torch.load(two / "ddp.state.pt", map_location="cpu")
    assert st1["step"] == st2["step"] == STEPS
    assert st1["layout"] == [1, 2] and st2["layout"] == [2, 1]
    assert st2["lam_ctrl"] == pytest.approx(st1["lam_ctrl"], rel=1e-5)
    assert st1["lam_ctrl"] != 0.0064  # the steering acted (same correction in both runs)
    # the exported EMA weights (rank 0's export, reference layout as always)
    e1, e2 = torch.load(one / "ddp.pt")["ema"], torch.load(two / "ddp.pt")["ema"]
    assert e1.keys() == e2.keys()
    diff = max((e1[k].float() - e2[k].float()).abs().max().item() for k in e1)
    assert diff < 1e-5, diff
    dloss = max(abs(s1[k][1] - s2[k][1]) for k in s1)
    print(f"2 ranks vs 1 process (accum 2): max |loss diff| {dloss:.2e} over {STEPS} steps, "
          f"max |EMA weight diff| {diff:.2e}, lambda {st2['lam_ctrl']:.8f} vs {st1['lam_ctrl']:.8f}")
