"""Which precision an ``hf:`` encoder computes in when asked for ``auto``.

bfloat16 where the hardware multiplies in it natively: CPUs with AMX (``amx_bf16``) or
AVX-512-bf16 (``avx512_bf16``), read from ``/proc/cpuinfo``, and CUDA devices that support
it; float32 everywhere else (a CPU without these instructions emulates bfloat16, slower than
float32).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Resolved = Literal["fp32", "bf16"]
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
CPUINFO = Path("/proc/cpuinfo")


def cpu_runs_bf16(flags: str) -> bool:
    """Whether a CPU with these ``/proc/cpuinfo`` flags (space-separated) has bf16 units."""
    return not set(flags.split()).isdisjoint(BF16_CPU_FLAGS)


def cpu_flags(cpuinfo: Path = CPUINFO) -> str:
    """The first ``flags`` line of ``/proc/cpuinfo`` ("" where there is none)."""
    try:
        text = cpuinfo.read_text("utf-8", errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return value.strip()
    return ""


def auto_precision(device: str, flags: str | None = None) -> Resolved:
    """The precision ``auto`` means on ``device`` (``auto``, ``cpu``, ``cuda[:n]``, ...);
    ``flags`` stand in for this machine's CPU flags."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return "bf16" if cpu_runs_bf16(cpu_flags() if flags is None else flags) else "fp32"
    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "fp32"
