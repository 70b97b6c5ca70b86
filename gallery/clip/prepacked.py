"""oneDNN weight prepacking for the text tower, where bf16 search queries spend most of their time.

A search text is a handful of tokens, so each of its matrix products is small, and plain bf16 `linear` has oneDNN lay
out the whole weight matrix again on every call. Laying the weights out once, as torch.compile's freezing pass does,
makes a short query markedly quicker on one core (MLP and attention projections), without compiling anything; the
MLP's GELU then runs inside its first layer's call. The image tower keeps the plain layers: its import batches gain
nothing from this, and a prepacked copy of its weights for single-image searches would cost each process about
170 MB. The measurements are in bench/README.md.

Imported only where torch is loaded (gallery.clip.encoder imports it lazily).
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

# The layout is chosen for this many rows (a batch of short queries); any other count still works.
ROWS_HINT = 16


def _linear(x: torch.Tensor, packed: torch.Tensor, bias: torch.Tensor | None, gelu: str = "") -> torch.Tensor:
    """x @ weight.T + bias, then GELU if `gelu` names its approximation ("none" or "tanh"), in one oneDNN call."""
    activation, algorithm = ("gelu", gelu) if gelu else ("none", "")
    out = torch.ops.mkldnn._linear_pointwise(x.reshape(-1, x.shape[-1]), packed, bias, activation, [], algorithm)
    return out.reshape(*x.shape[:-1], out.shape[-1])


class PrepackedLinear(torch.nn.Module):
    """Stands in for an nn.Linear at inference: same weight, bias and output, the weight laid out once for oneDNN.
    With `gelu`, it also applies the nn.GELU that followed it (whose place then takes an nn.Identity)."""

    def __init__(self, linear: torch.nn.Linear, gelu: torch.nn.GELU | None = None) -> None:
        super().__init__()
        # Kept as they are: open_clip reads the weight's dtype, and state_dict() stays that of the model.
        self.weight, self.bias = linear.weight, linear.bias
        self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), ROWS_HINT)
        self.gelu = gelu.approximate if gelu is not None else ""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _linear(x, self.packed, self.bias, self.gelu)


class PrepackedSelfAttention(torch.nn.Module):
    """Stands in for the text blocks' nn.MultiheadAttention: the q/k/v and output projections prepacked, attention
    by scaled_dot_product_attention. Only what open_clip's text tower asks of it: self-attention, an additive mask."""

    def __init__(self, attention: torch.nn.MultiheadAttention) -> None:
        super().__init__()
        self.num_heads, self.batch_first = attention.num_heads, attention.batch_first
        self.in_proj_weight, self.in_proj_bias = attention.in_proj_weight, attention.in_proj_bias  # state_dict keys
        self.packed_in_proj = torch.ops.mkldnn._reorder_linear_weight(attention.in_proj_weight.detach(), ROWS_HINT)
        self.out_proj = PrepackedLinear(attention.out_proj)

    @staticmethod
    def supports(attention: torch.nn.Module) -> bool:
        return (isinstance(attention, torch.nn.MultiheadAttention) and attention.in_proj_weight is not None
                and attention.in_proj_bias is not None and attention.dropout == 0.0)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, need_weights: bool = False,
                attn_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, None]:
        bool_mask = attn_mask is not None and attn_mask.dtype == torch.bool
        if key is not query or value is not query or need_weights or bool_mask:
            # A bool mask means the opposite here and in scaled_dot_product_attention, so it is refused, not guessed.
            raise NotImplementedError("prepacked attention only serves self-attention with an additive mask")
        x = query if self.batch_first else query.transpose(0, 1)
        batch, length, width = x.shape
        qkv = _linear(x, self.packed_in_proj, self.in_proj_bias)
        q, k, v = qkv.view(batch, length, 3, self.num_heads, width // self.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
        heads = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        out = self.out_proj(heads.transpose(1, 2).reshape(batch, length, width))
        return (out if self.batch_first else out.transpose(0, 1)), None


def prepack_text_tower(model: torch.nn.Module) -> bool:
    """Swap the text transformer's MLP and attention layers for prepacked ones. Returns False, leaving `model` as it
    was, where this torch build has no oneDNN prepacking for the weights' dtype."""
    blocks = getattr(getattr(model, "transformer", None), "resblocks", None)
    if not blocks or not torch.backends.mkldnn.is_available():
        return False
    try:
        with torch.inference_mode():
            replacements = []
            for block in blocks:
                # The MLP's exact or tanh GELU runs inside the first layer's call; other activations stay.
                gelu = block.mlp.gelu if isinstance(block.mlp.gelu, torch.nn.GELU) else None
                replacements += [(block.mlp, "c_fc", PrepackedLinear(block.mlp.c_fc, gelu)),
                                 (block.mlp, "c_proj", PrepackedLinear(block.mlp.c_proj))]
                if gelu is not None:
                    replacements.append((block.mlp, "gelu", torch.nn.Identity()))
            replacements += [(block, "attn", PrepackedSelfAttention(block.attn))
                             for block in blocks if PrepackedSelfAttention.supports(block.attn)]
    except (AttributeError, RuntimeError, TypeError) as exc:  # a torch without these ops, or a dtype they refuse
        logger.info("Text weights not prepacked (%s); the plain layers are used.", exc)
        return False
    for parent, name, replacement in replacements:
        setattr(parent, name, replacement)
    return True
