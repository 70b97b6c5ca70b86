"""CLIP_DEVICE: where the encoder runs. The CPU path everywhere; the CUDA path where torch sees a GPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gallery.clip import ClipEncoder
from gallery.clip.device import BATCH_SIZES, resolve_device

NO_GPU = not torch.cuda.is_available()


@pytest.mark.skipif(not NO_GPU, reason="this machine has a CUDA device: auto picks it (tested below)")
def test_auto_runs_on_the_cpu_without_a_gpu_and_cuda_is_refused_with_a_reason():
    assert resolve_device("auto") == "cpu"
    with pytest.raises(ValueError, match="sees no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="CLIP_DEVICE must be one of"):
        resolve_device("tpu")


def test_the_cpu_encoder_takes_cpu_sized_batches(untrained_fp32_encoder):
    assert untrained_fp32_encoder.device == "cpu" and untrained_fp32_encoder.batch_size == BATCH_SIZES["cpu"]


@pytest.mark.skipif(NO_GPU, reason="no CUDA device on this machine (torch.cuda.is_available() is False)")
def test_the_gpu_encoder_gives_the_cpus_vectors(untrained_fp32_encoder, varied_images):
    gpu = ClipEncoder(pretrained="untrained", device="cuda", precision="fp32", query_int8=False)
    assert resolve_device("auto") == "cuda" and gpu.batch_size == BATCH_SIZES["cuda"]
    cosines = np.sum(gpu.encode_images(varied_images) * untrained_fp32_encoder.encode_images(varied_images), axis=1)
    assert cosines.min() >= 0.999
