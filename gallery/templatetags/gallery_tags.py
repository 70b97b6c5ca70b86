from django import template
from django.core.files.storage import default_storage

register = template.Library()


@register.filter
def storage_url(name: str) -> str:
    """URL of a stored file by name (for names annotated onto querysets rather than FieldFiles)."""
    return default_storage.url(name) if name else ""


@register.filter
def percent(similarity: float) -> str:
    return f"{similarity * 100:.1f}%"
