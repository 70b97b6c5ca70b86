from urllib.parse import quote

from django import template
from django.urls import reverse

from gallery.services import iiif

register = template.Library()


@register.simple_tag(takes_context=True)
def iiif_manifest_url(context, artwork) -> str:
    """The absolute URL of an artwork's IIIF manifest (for other sites' viewers)."""
    return context["request"].build_absolute_uri(reverse("gallery:iiif-manifest", args=[artwork.pk]))


@register.simple_tag(takes_context=True)
def iiif_links(context, artwork) -> dict[str, str]:
    """An artwork's IIIF addresses for its page: the manifest, the IIIF drag-and-drop link, and the deep-zoom tiles'
    info.json ("" until the worker has made them: one storage request)."""
    request = context["request"]
    manifest = iiif_manifest_url(context, artwork)
    service = iiif.artwork_service_url(artwork)
    return {
        "manifest": manifest,
        # The IIIF drag-and-drop convention: viewers read the manifest from the dropped link's `manifest` parameter.
        "drag_and_drop": f"{manifest}?manifest={quote(manifest, safe='')}",
        "info": request.build_absolute_uri(f"{service}/info.json") if service else "",
    }
