"""Which precision the encoder runs at on this CPU (setting CLIP_PRECISION)."""

from __future__ import annotations

from pathlib import Path

# "auto" is bf16 where the CPU multiplies bf16 natively (AVX-512 BF16, AMX), else fp32 (emulated bf16 is slower).
PRECISIONS = ("auto", "fp32", "bf16")
FAST_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}
CPUINFO = Path("/proc/cpuinfo")


def fast_bf16_available() -> bool:
    """Whether this CPU has native bf16 matrix instructions (read from /proc/cpuinfo; False where that is missing)."""
    try:
        flags = CPUINFO.read_text().split()
    except OSError:
        return False
    return not FAST_BF16_CPU_FLAGS.isdisjoint(flags)


def resolve_precision(precision: str) -> str:
    """CLIP_PRECISION as the encoder runs it: "auto" becomes "bf16" or "fp32" for this CPU."""
    if precision not in PRECISIONS:
        raise ValueError(f"CLIP_PRECISION must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bf16" if fast_bf16_available() else "fp32"
    return precision
