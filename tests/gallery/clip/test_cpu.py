"""CLIP_PRECISION=auto picks bf16 only on CPUs that multiply bf16 natively."""

from __future__ import annotations

import pytest

from gallery.clip import cpu


@pytest.mark.parametrize(("flags", "expected"), [("fpu avx512f avx512_bf16", "bf16"), ("fpu amx_bf16", "bf16"),
                                                  ("fpu avx2 avx512f", "fp32")])
def test_auto_precision_follows_the_cpu(monkeypatch, tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    monkeypatch.setattr(cpu, "CPUINFO", cpuinfo)
    assert cpu.resolve_precision("auto") == expected
    assert cpu.resolve_precision("fp32") == "fp32"
    monkeypatch.setattr(cpu, "CPUINFO", tmp_path / "missing")  # not Linux: never guess bf16
    assert cpu.resolve_precision("auto") == "fp32"
