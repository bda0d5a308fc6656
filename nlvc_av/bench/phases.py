"""How ``nlvc bench`` runs one phase of one codec: in a fresh worker process (its peak memory its
own) or in this process, and the untimed warm-up that compiles NLVC's kernels before its first
timed run on a pixel format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .codecs import WARMUP_FRAMES, CodecSpec, run_phase, spec_dict

__all__ = ["run_phase_isolated", "run_phase_in_process", "warm_up"]

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def run_phase_isolated(job: dict, workdir: Path, threads: int) -> dict:
    """Run one phase in a fresh Python process (its peak memory its own); a worker that dies is
    a failed result, never an exception."""
    jobfile, resfile = workdir / "job.json", workdir / "result.json"
    jobfile.write_text(json.dumps(job))
    resfile.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(threads)
    proc = subprocess.run([sys.executable, "-m", "nlvc_av.bench.codecs", str(jobfile), str(resfile)],
                          env=env, capture_output=True, text=True)
    if resfile.exists():
        return json.loads(resfile.read_text())
    tail = (proc.stderr or proc.stdout or "")[-2000:]
    return {"ok": False, "error": f"worker exited with status {proc.returncode}", "traceback": tail}


def run_phase_in_process(job: dict) -> dict:
    """Run one phase in this process (quicker; no memory figures): a failure is a failed result."""
    try:
        result = run_phase(job)
        result.update(ok=True, peak_rss=None)
    except Exception as err:  # recorded like a worker failure
        import traceback
        result = {"ok": False, "error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()[-4000:]}
    return result


def warm_up(spec: CodecSpec, clip: dict, workdir: Path, opts: dict, log=None) -> dict:
    """Compile NLVC's kernels before its first timed run on a pixel format (numba caches them on
    disk; every timed run then loads them, inside its clock). A failure here is only logged: the
    timed run that follows meets and records it."""
    log = log or (lambda msg: None)
    log(f"  {clip['name']}: compiling NLVC's kernels (untimed warm-up: the first {WARMUP_FRAMES} frames) ...")
    job = {"codec": spec_dict(spec), "source": clip["source"], "coded": str(workdir / f"{clip['name']}.nlvc"),
           "threads": opts["threads"], "model": opts["model"], "phase": "warmup"}
    result = run_phase_isolated(job, workdir, opts["threads"]) if opts["isolate"] else run_phase_in_process(job)
    entry = {"clip": clip["name"], "pix_fmt": clip["pix_fmt"], "seconds": result.get("seconds"),
             "error": None if result["ok"] else result["error"]}
    if entry["error"]:
        log(f"  {clip['name']}: warm-up failed: {entry['error']}")
    return entry
