"""CLIP's text tower on token rows cut after their end-of-text: what the torch encoder and the int8 export share."""

from __future__ import annotations

from typing import Any


def supports_short_text(model: Any) -> bool:
    """Whether encode_text can stop at end-of-text: open_clip's CLIP with a causal mask and end-of-text pooling."""
    needed = ("token_embedding", "positional_embedding", "transformer", "ln_final", "text_projection")
    return (all(hasattr(model, name) for name in needed) and getattr(model, "attn_mask", None) is not None
            and getattr(model, "text_pool_type", None) == "argmax")


def text_features(model: Any, tokens):
    """open_clip's encode_text for token rows already cut after their end-of-text (all rows one length, zero-padded).

    The text transformer is causal, so a position never attends to the padding after it: the pooled end-of-text
    features equal those of the 77-token padded context. Also what gallery/clip/query_int8.py exports, so both text
    encoders compute the same function.
    """
    import torch
    from open_clip.transformer import text_global_pool

    length = tokens.shape[1]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype) + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
    x = text_global_pool(model.ln_final(x), tokens, model.text_pool_type)
    projection = model.text_projection
    if projection is None:
        return x
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection
