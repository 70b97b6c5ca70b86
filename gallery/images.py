"""Image checks and derived files: what an upload must be before we store it, and its thumbnail and hashes.

Pillow decides what a file is, never its name. The pixel limit is checked on the header, before decoding, so a
decompression bomb costs nothing. Everything derived from the pixels (thumbnail, hashes, CLIP input) is made from a
working copy whose short side stays at least WORKING_MIN_SIDE: a 4000×3000 photo is decoded at a quarter of its
width and height, several times faster, and none of those needs more.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

import imagehash
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}  # GIF and BMP: not for artwork reproductions
# A JPEG that carries a second picture (a phone's Ultra HDR gain map, a camera's preview) is "MPO" to Pillow; its
# first picture is the photo, and any browser shows that one.
_FORMAT_ALIASES = {"MPO": "JPEG"}
# What a polyglot's page or script part contains, in lower case: a tag name and what may end it. The tags share the
# "<" that the regex engine scans for, so one pass finds any of them, several times quicker than a search per marker.
_MARKUP_TAG = re.compile(rb"<(?:script|html|svg|\?php|!doctype|iframe)[\s>/]")
_SCRIPT_URL = b"javascript:"
# Smallest short side of the working copy (or the thumbnail size, if larger): twice CLIP's 224-pixel input, so the
# resizes after it still average several source pixels. It is reduced by a whole factor only (JPEG: 2, 4 or 8 while
# decoding). On the shared images scaled up to 1-12 MP, CLIP vectors stayed at cosine >= 0.9999 to the full
# decode's, and at most 2 of the 128 hash bits changed.
WORKING_MIN_SIDE = 448
_ROTATED_ORIENTATIONS = {5, 6, 7, 8}  # EXIF orientations that turn the picture by 90 degrees


@dataclass(frozen=True)
class CheckedImage:
    """A decoded, upright RGB working copy of the picture and facts about the original file.

    The copy is the original reduced by a whole factor, as far as its short side stays at least WORKING_MIN_SIDE (or
    the thumbnail size); width and height are the original's, upright.
    """

    image: Image.Image
    format: str
    sha256: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return ALLOWED_FORMATS[self.format]


def sha256_of(file) -> str:
    """Hash a file's bytes without reading it into memory at once; leaves the file at position 0."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(0)
    return size


def check_image(file) -> CheckedImage:
    """Open and decode all of an uploaded file, or raise ValidationError saying what is wrong with it."""
    max_bytes = settings.GALLERY_MAX_UPLOAD_BYTES
    size = _file_size(file)
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > max_bytes:
        raise ValidationError(f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.",
                              code="too_large")
    file.seek(0)
    data = file.read()  # at most GALLERY_MAX_UPLOAD_BYTES: hash and scan it in one read
    file.seek(0)
    sha256 = hashlib.sha256(data).hexdigest()
    if _contains_markup(data):
        raise ValidationError("The file carries web page or script content besides an image; it is refused.",
                              code="polyglot")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file)
            fmt = _FORMAT_ALIASES.get(image.format, image.format)
            if fmt not in ALLOWED_FORMATS:
                raise ValidationError(f"{fmt or 'This'} files are not accepted; upload a JPEG, PNG or WebP.",
                                      code="format")
            width, height = image.size
            if width * height > settings.GALLERY_MAX_IMAGE_PIXELS:
                raise ValidationError(
                    f"The image is {width}×{height} pixels; the limit is "
                    f"{settings.GALLERY_MAX_IMAGE_PIXELS / 1e6:.0f} megapixels.", code="too_many_pixels")
            image, width, height = _working_copy(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow refuses on the header alone when the pixel count is absurd.
        raise ValidationError(f"The image has too many pixels; the limit is "
                              f"{settings.GALLERY_MAX_IMAGE_PIXELS / 1e6:.0f} megapixels.", code="too_many_pixels")
    except UnidentifiedImageError:
        raise ValidationError("This file is not an image we can read (JPEG, PNG or WebP).", code="invalid")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(f"The image is damaged and cannot be decoded ({exc}).", code="corrupt")
    finally:
        file.seek(0)
    return CheckedImage(image=image, format=fmt, sha256=sha256, width=width, height=height)


def _working_copy(image: Image.Image) -> tuple[Image.Image, int, int]:
    """Decode an opened image into its upright RGB working copy; returns it with the original's upright size."""
    width, height = image.size
    min_side = max(WORKING_MIN_SIDE, settings.GALLERY_THUMBNAIL_SIZE)
    image.draft(None, (min_side, min_side))  # JPEG: decode at 1/2, 1/4 or 1/8 where that stays above it
    image.load()  # decodes every byte, drafted or not: a truncated file fails here, not later in a worker
    if image.getexif().get(ExifTags.Base.Orientation) in _ROTATED_ORIENTATIONS:
        width, height = height, width  # the original's upright size
    image = to_rgb(ImageOps.exif_transpose(image))
    if (factor := min(image.size) // min_side) >= 2:
        image = image.reduce(factor)  # formats that cannot decode at a smaller size (PNG, WebP)
    return image, width, height


def open_for_encoding(file) -> Image.Image:
    """The working copy of a stored file, for the encoder.

    The file passed check_image when it was uploaded, so today's upload limits (bytes, pixels, formats) are not
    applied again: lowering them must not fail works accepted earlier. Pillow's own decompression-bomb guard still
    holds, and a file damaged since raises OSError.
    """
    with Image.open(file) as image:
        return _working_copy(image)[0]


def _contains_markup(data: bytes) -> bool:
    """Whether the bytes hold HTML, SVG, script or PHP, as a polyglot file (an image that is also a page) does.

    The compressed pixels of a JPEG or PNG are left out: there short markers turn up by chance (one Met painting in a
    thousand holds "<svg" in its scan data), while markup hidden in metadata, comments or after the image is found.
    """
    data = _without_compressed_pixels(data).lower()
    return _MARKUP_TAG.search(data) is not None or _SCRIPT_URL in data


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# In a JPEG's entropy-coded scan, 0xFF is followed by 0x00 (a stuffed byte) or a restart marker; anything else ends it.
_JPEG_SCAN_END = re.compile(rb"\xff(?!\x00|[\xd0-\xd7])")


def _without_compressed_pixels(data: bytes) -> bytes:
    """The file without its compressed pixel data (JPEG scans, PNG IDAT chunks); unchanged for other or odd files."""
    try:
        if data.startswith(b"\xff\xd8"):
            return _jpeg_without_scans(data)
        if data.startswith(_PNG_SIGNATURE):
            return _png_without_image_data(data)
    except (IndexError, ValueError):  # a structure we cannot walk: scan all of it
        pass
    return data


def _jpeg_without_scans(data: bytes) -> bytes:
    kept, position = [data[:2]], 2
    while position < len(data):
        if data[position] != 0xFF:
            raise ValueError("not at a marker")
        marker = data[position + 1]
        if marker == 0xFF or 0xD0 <= marker <= 0xD7 or marker == 0x01:  # fill byte or a marker without a length
            position += 1 if marker == 0xFF else 2
            continue
        if marker == 0xD9:  # end of image: what follows it is kept whole
            kept.append(data[position:])
            break
        end = position + 2 + int.from_bytes(data[position + 2:position + 4], "big")
        kept.append(data[position:end])
        position = end
        if marker == 0xDA:  # start of scan: the compressed pixels run to the next real marker
            found = _JPEG_SCAN_END.search(data, position)
            position = found.start() if found else len(data)
    return b"".join(kept)


def _png_without_image_data(data: bytes) -> bytes:
    kept, position = [data[:8]], 8
    while position + 8 <= len(data):
        length, kind = int.from_bytes(data[position:position + 4], "big"), data[position + 4:position + 8]
        end = position + 12 + length
        kept.append(data[position:position + 8] if kind in (b"IDAT", b"fdAT") else data[position:end])
        position = end
        if kind == b"IEND":
            break
    kept.append(data[position:])  # anything after the last chunk
    return b"".join(kept)


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB whatever the mode: 16-bit greys are scaled (not clipped), transparency lands on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        image = Image.fromarray(np.clip(pixels * (255.0 / top), 0, 255).astype(np.uint8), mode="L")
    elif image.mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def make_thumbnail(image: Image.Image) -> ContentFile:
    """A JPEG no larger than GALLERY_THUMBNAIL_SIZE on its long side, for grids and result cards."""
    thumb = image.copy()
    thumb.thumbnail((settings.GALLERY_THUMBNAIL_SIZE, settings.GALLERY_THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=85, optimize=True)
    return ContentFile(buffer.getvalue())


def perceptual_hash(image: Image.Image) -> str:
    """pHash and dHash (64 bits each) as 32 hex digits; a reproduction of the same work differs in few bits.

    Together they separate a 5 %-cropped, JPEG-70 copy from every other work of the shared dataset better than
    either alone (see gallery/services/search.py, NEAR_DUPLICATE_MAX_BITS).
    """
    gray = image.convert("L")  # both hashes start with it; converting once saves a pass over the image
    return f"{imagehash.phash(gray)}{imagehash.dhash(gray)}"
