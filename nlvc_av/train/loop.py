"""`nlvc train`: reproducible training of the entropy network.

Masked-diffusion training on the reveal schedule: every sample is a crop of a plane's
lattice at a random level, a random known set (which samples are revealed), and for half
of the sequence samples a motion-compensated reference. The loss is the code length
(bits) of the hidden samples under a discretized logistic centred on the base prediction
plus the network's offset. Checkpoints every few hundred steps make runs resumable, and
every checkpoint also exports the integer weights that the codec ships.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from ..codec.nets.inputs import network_input
from ..codec.nets.lattice_v1 import LS_MIN, LS_STEP, NUM_CLASSES
from ..codec.schedule import KNOWN_SETS, TARGETS, unshuffle
from . import data as data_mod
from .export import export_weights
from .net import EntropyNet, logistic_bits

CROP = 64          # lattice crop side (32x32 cells)
LEVEL_PROBS = {0: 0.6, 1: 0.25, 2: 0.1, 3: 0.05}


def _crop(rng: np.random.Generator, planes: list[np.ndarray], level: int) -> list[np.ndarray] | None:
    s = 2 ** level
    h, w = planes[0].shape
    ch, cw = min(h, CROP * s), min(w, CROP * s)
    if ch < 2 * s or cw < 2 * s:
        return None
    y = rng.integers(0, h - ch + 1)
    x = rng.integers(0, w - cw + 1)
    out = [p[y:y + ch:s, x:x + cw:s] for p in planes]
    hh, ww = out[0].shape
    hh, ww = hh - hh % 2, ww - ww % 2
    return [np.ascontiguousarray(o[:hh, :ww]) for o in out]


def sample_batch(ts: data_mod.TrainingSet, rng: np.random.Generator, batch: int, known_set: int,
                 p_frac: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs, bases and targets for one batch (all crops the same size: CROP x CROP)."""
    xs, bases, targets = [], [], []
    levels = list(LEVEL_PROBS)
    probs = np.array(list(LEVEL_PROBS.values()))
    while len(xs) < batch:
        level = int(rng.choice(levels, p=probs))
        use_ref = rng.random() < p_frac
        if use_ref and ts.pairs and rng.random() < 0.8:
            cur, ref, chroma = ts.pairs[rng.integers(len(ts.pairs))]
            got = _crop(rng, [cur, ref], level)
        else:
            plane, chroma = ts.intra[rng.integers(len(ts.intra))]
            got = _crop(rng, [plane], level)
            if got is not None and use_ref:
                got = [got[0], data_mod.synthetic_pair(got[0], rng)]
        if got is None or got[0].shape != (CROP, CROP):
            continue
        cells = torch.from_numpy(unshuffle(got[0]).astype(np.float32))[None]
        ref_cells = torch.from_numpy(unshuffle(got[1]).astype(np.float32))[None] if len(got) > 1 else None
        x, base = network_input(cells, known_set, ref_cells, bool(chroma), level)
        xs.append(x)
        bases.append(base)
        targets.append(cells[:, list(TARGETS)])
    return torch.cat(xs), torch.cat(bases), torch.cat(targets)


def batch_bits(net: EntropyNet, x: torch.Tensor, base: torch.Tensor, target: torch.Tensor,
               known_set: int) -> torch.Tensor:
    """Mean bits per hidden sample."""
    out = net(x)
    mu = base + out[:, :3]
    log_s = LS_MIN + LS_STEP * out[:, 3:].clamp(-2, NUM_CLASSES + 1)
    bits = logistic_bits(target, mu, log_s)
    hidden = [k for k, ch in enumerate(TARGETS) if ch not in KNOWN_SETS[known_set]]
    return bits[:, hidden].mean()


def train(data_root: str, out_dir: str, steps: int, seed: int = 0, batch: int = 16,
          lr: float = 5e-4, channels: int = 32, blocks: int = 4, p_frac: float = 0.5,
          device: str | None = None, log=print) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # training only; coding never uses the GPU
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(seed)
    net = EntropyNet(channels, blocks).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    ckpt = out / "checkpoint.pt"
    step = 0
    rng = np.random.default_rng(seed)
    if ckpt.exists():
        state = torch.load(ckpt, map_location=dev, weights_only=False)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        rng = np.random.default_rng([seed, step])
        log(f"resumed from {ckpt} at step {step}")
    ts = data_mod.load(data_root, log=log)
    (out / "data_list.json").write_text(json.dumps(ts.files, indent=1))
    running: dict[int, float] = {}
    t0, step0 = time.time(), step
    while step < steps:
        frac = step / max(steps, 1)
        for g in opt.param_groups:  # cosine decay to 10 %
            g["lr"] = lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        known_set = int(rng.integers(1, 4))
        x, base, target = (t.to(dev) for t in sample_batch(ts, rng, batch, known_set, p_frac))
        loss = batch_bits(net, x, base, target, known_set)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        running[known_set] = 0.98 * running.get(known_set, loss.item()) + 0.02 * loss.item()
        if step % 50 == 0:
            rate = (step - step0) / max(time.time() - t0, 1e-9)
            sets = " ".join(f"K{k}={v:.3f}" for k, v in sorted(running.items()))
            log(f"step {step}/{steps} bits/sample {sets} lr {opt.param_groups[0]['lr']:.2e} "
                f"({rate:.2f} steps/s this run)")
        if step % 250 == 0 or step == steps:
            torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step,
                        "config": dict(channels=channels, blocks=blocks, seed=seed, batch=batch,
                                       lr=lr, steps=steps, p_frac=p_frac)}, ckpt)
            export_weights(net.cpu(), out / "nlvc_entropy.npz",
                           note=dict(steps=step, seed=seed, batch=batch, lr=lr, data=ts.files))
            net.to(dev)
    return out / "nlvc_entropy.npz"


def ship(run_dir: Path, package_weights: Path) -> str:
    """Copy a run's exported weights into the package and write the note of how they were made."""
    import hashlib
    src = Path(run_dir) / "nlvc_entropy.npz"
    data = src.read_bytes()
    package_weights.parent.mkdir(parents=True, exist_ok=True)
    tmp = package_weights.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(package_weights)
    sha = hashlib.sha256(data).hexdigest()
    state = torch.load(Path(run_dir) / "checkpoint.pt", map_location="cpu", weights_only=False)
    cfg = state["config"]
    files = json.loads((Path(run_dir) / "data_list.json").read_text())
    note = package_weights.with_suffix(".md")
    note.write_text(
        f"# How `{package_weights.name}` was made\n\n"
        f"- sha256: `{sha}`\n"
        f"- trained steps: {state['step']} (schedule length {cfg['steps']}), seed {cfg['seed']}, "
        f"batch {cfg['batch']} crops of 64x64 lattice samples, Adam, peak lr {cfg['lr']} with cosine decay to 10 %\n"
        f"- network: {cfg['channels']} channels, {cfg['blocks']} residual blocks, integer weights/activations "
        f"(see nlvc_av/train/net.py)\n"
        f"- command: `nlvc train --data ../shared/data --out {run_dir} --steps {cfg['steps']} --seed {cfg['seed']} "
        f"--batch {cfg['batch']} --lr {cfg['lr']} --channels {cfg['channels']} --blocks {cfg['blocks']} "
        f"--ship {package_weights.as_posix()}` (training resumes from the run folder's checkpoint)\n"
        f"- machine: CPU only (2 cores), torch {torch.__version__}\n"
        f"- data (lossless sources from ../shared/data/train only; never bench/ or formats/):\n"
        + "".join(f"  - {f}\n" for f in files))
    return sha


def _click_command():
    import click

    @click.command("train", help="Train the entropy network on ../shared/data/train (resumable).")
    @click.option("--data", "data_root", default="../shared/data", show_default=True,
                  help="folder holding train/ (bench/ and formats/ are never read)")
    @click.option("--out", "out_dir", default="runs/train", show_default=True,
                  help="run folder: checkpoint.pt, nlvc_entropy.npz, data_list.json")
    @click.option("--steps", default=24000, show_default=True)
    @click.option("--seed", default=0, show_default=True)
    @click.option("--batch", default=24, show_default=True)
    @click.option("--lr", default=5e-4, show_default=True)
    @click.option("--channels", default=32, show_default=True)
    @click.option("--blocks", default=5, show_default=True)
    @click.option("--device", default=None, help="cpu or cuda (default: cuda when present)")
    @click.option("--threads", type=int, default=None, help="CPU threads for torch")
    @click.option("--ship", "ship_to", type=click.Path(dir_okay=False), default=None,
                  help="copy the final weights to this path (e.g. nlvc_av/codec/weights/MODEL_ID.npz, then register MODEL_ID)")
    def command(data_root, out_dir, steps, seed, batch, lr, channels, blocks, device, threads, ship_to):
        if threads:
            torch.set_num_threads(threads)
        if not (Path(data_root) / "train").is_dir():
            raise click.ClickException(f"no training data: {Path(data_root) / 'train'} is not a folder")
        path = train(data_root, out_dir, steps, seed=seed, batch=batch, lr=lr, channels=channels,
                     blocks=blocks, device=device, log=lambda m: click.echo(m, err=True))
        click.echo(f"weights: {path}")
        if ship_to:
            click.echo(f"shipped to {ship_to} (sha256 {ship(Path(out_dir), Path(ship_to))})")

    return command


train_command = _click_command()
command = train_command  # picked up lazily as `nlvc train` by nlvc_av.cli
