"""Deprecated: the CLIP encoder moved to the gallery.clip package. Kept for one release so that deployments with
GALLERY_ENCODER=gallery.embeddings.ClipEncoder keep working; set GALLERY_ENCODER=gallery.clip.ClipEncoder."""

import warnings

from gallery.clip import EMBEDDING_DIM, BaseEncoder, ClipEncoder, WeightsUnavailable, encode_query_text, get_encoder

__all__ = ["EMBEDDING_DIM", "BaseEncoder", "ClipEncoder", "WeightsUnavailable", "encode_query_text", "get_encoder"]

# FutureWarning, not DeprecationWarning: the reader is an operator whose environment names this path, and Python
# hides DeprecationWarning outside __main__.
warnings.warn("gallery.embeddings is deprecated and will be removed in the next release: use gallery.clip "
              "(GALLERY_ENCODER=gallery.clip.ClipEncoder).", FutureWarning, stacklevel=2)
