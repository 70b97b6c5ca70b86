"""Template context shared by every page: whether search runs on real CLIP weights."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from gallery.clip import WeightsUnavailable, get_encoder

logger = logging.getLogger(__name__)


def encoder_status(request) -> dict:
    """`encoder_warning` is a sentence for the banner, or empty when the encoder is pretrained and loaded."""
    try:
        encoder = get_encoder()
    except WeightsUnavailable as exc:
        return {"encoder_warning": _("Search is unavailable: %(reason)s") % {"reason": exc}, "encoder_model_id": ""}
    warning = ""
    if not encoder.is_pretrained:
        warning = _("Demo mode: CLIP is running with untrained weights, so search results are not semantic. "
                    "An administrator must set CLIP_PRETRAINED to real weights (see README).")
    return {"encoder_warning": warning, "encoder_model_id": encoder.model_id}
