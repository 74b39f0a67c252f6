"""Uploaded photos decoded and encoded again, so nothing but the picture is ever served.

A phone's photo carries EXIF: the GPS position of where it was taken (often the citizen's home),
the time, the device's make and serial number; PNG and WebP carry text chunks and XMP. Pillow
decodes the pixels, applies the EXIF orientation (so the picture still stands upright), and
saves a new file of the same type with no metadata. Only the ICC colour profile is kept: it
describes colours, not the person, and without it a wide-gamut photo looks washed out.

Decompression bombs (a small file that decodes to gigabytes) are refused from the header's
width and height, before any pixel is decoded.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from PIL import Image, ImageOps

JPEG_QUALITY = 90
# content type -> Pillow's format name
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# What a broken or hostile file makes Pillow raise while decoding (not programming errors).
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)


class ImageRejected(ValueError):
    """The bytes are not a decodable image of the announced type, or too many pixels."""


def reencode(data: bytes, content_type: str, max_pixels: int) -> bytes:
    """``data`` (an image of ``content_type``, already sniffed) as a new file without metadata."""
    fmt = FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as source:
            width, height = source.size
            if width * height > max_pixels:
                raise ImageRejected(f"image is {width}x{height} pixels; at most {max_pixels:,} are accepted")
            source.load()  # the first frame only: animations are kept as a still
            picture = ImageOps.exif_transpose(source)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, checked when it reads the header
        raise ImageRejected(f"image has too many pixels; at most {max_pixels:,} are accepted") from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected("image could not be decoded (damaged or not really an image)") from exc
    if fmt == "JPEG" and picture.mode not in ("L", "RGB", "CMYK"):
        picture = picture.convert("RGB")
    elif fmt == "WEBP" and picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
    # The colour profile and (PNG) the transparent colour describe pixels; every other entry
    # (EXIF, XMP, text chunks, JPEG comments) stays behind, as savers also read ``info``.
    kept = {k: picture.info[k] for k in ("icc_profile", "transparency") if picture.info.get(k) is not None}
    picture.info.clear()
    options: dict[str, Any] = {"icc_profile": kept["icc_profile"]} if "icc_profile" in kept else {}
    if fmt == "PNG" and "transparency" in kept:
        options["transparency"] = kept["transparency"]
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = JPEG_QUALITY
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()
