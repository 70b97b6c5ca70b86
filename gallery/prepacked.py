"""oneDNN weight prepacking for the text tower's MLP layers, where bf16 search queries spend most of their time.

A search text is a handful of tokens, so each of its matrix products is small, and plain bf16 `linear` has oneDNN lay
out the whole weight matrix again on every call. Laying the MLP weights out once, as torch.compile's freezing pass
does, takes a 10-token query from about 12 to 10 ms on one core, without compiling anything. The image tower's large
batches gain nothing from it (measured) and keep the plain layers.

Imported only where torch is loaded (gallery.embeddings imports it lazily).
"""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)

# The layout is chosen for this many rows (a batch of short queries); any other count still works.
ROWS_HINT = 16


class PrepackedLinear(torch.nn.Module):
    """Stands in for an nn.Linear at inference: same weight, bias and output, the weight laid out once for oneDNN."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        # Kept as they are: open_clip reads the weight's dtype, and state_dict() stays that of the model.
        self.weight, self.bias = linear.weight, linear.bias
        self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), ROWS_HINT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.ops.mkldnn._linear_pointwise(x.reshape(-1, x.shape[-1]), self.packed, self.bias, "none", [], "")
        return out.reshape(*x.shape[:-1], out.shape[-1])


def prepack_text_mlp(model: torch.nn.Module) -> bool:
    """Swap the text transformer's MLP layers for prepacked ones. Returns False, leaving `model` as it was, where
    this torch build has no oneDNN prepacking for the weights' dtype."""
    blocks = getattr(getattr(model, "transformer", None), "resblocks", None)
    if not blocks or not torch.backends.mkldnn.is_available():
        return False
    try:
        with torch.inference_mode():
            replacements = [(block.mlp, name, PrepackedLinear(getattr(block.mlp, name)))
                            for block in blocks for name in ("c_fc", "c_proj")]
    except (AttributeError, RuntimeError, TypeError) as exc:  # a torch without these ops, or a dtype they refuse
        logger.info("Text weights not prepacked (%s); the plain layers are used.", exc)
        return False
    for mlp, name, replacement in replacements:
        setattr(mlp, name, replacement)
    return True
