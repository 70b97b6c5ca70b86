"""Where the encoder runs (setting CLIP_DEVICE), and the batch its forward passes take there."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")
# Images a forward pass takes: on a CPU this bounds peak activation memory without costing speed; a GPU wants more
# at once to stay busy (ViT-B-32 at 224 px uses well under 4 GB at 256).
BATCH_SIZES = {"cpu": 32, "cuda": 256}


def resolve_device(device: str) -> str:
    """CLIP_DEVICE as the encoder uses it: "auto" is "cuda" where torch sees a CUDA device, else "cpu"."""
    if device not in DEVICES:
        raise ValueError(f"CLIP_DEVICE must be one of {', '.join(DEVICES)}, not {device!r}")
    import torch

    available = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if available else "cpu"
    if device == "cuda" and not available:
        raise ValueError("CLIP_DEVICE is cuda, but torch sees no CUDA device here (torch.cuda.is_available() is "
                         "False): use cpu or auto, or check the GPU driver and torch's CUDA build.")
    return device
