"""Where uploaded photos live: a small interface and a local-disk implementation.

Keys are random (192 bits), so a photo's URL cannot be guessed from another's.
The type is decided by the file's first bytes, never by its name or the
client's Content-Type: a text file called ``photo.png`` is refused. What is stored is the
picture decoded and encoded again (core/images.py): no EXIF, GPS or other metadata.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from flask import Flask, current_app

from callcentre.core.images import ImageRejected, reencode

# Magic bytes of the accepted image types -> (content type, extension).
JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
# Staff answer documents (web/attachments.py): stored as uploaded, never served publicly.
PDF = "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf"}
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}\.(jpg|png|webp|pdf)$")


class MediaRejected(ValueError):
    """The upload is not an accepted image, or too large."""


def sniff_image_type(head: bytes) -> str | None:
    """The image type of a file from its first 12 bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def read_image(stream: IO[bytes], max_bytes: int, max_pixels: int) -> tuple[bytes, str]:
    """Read an upload whole (at most ``max_bytes``, ``max_pixels``); return it re-encoded without
    metadata, with its sniffed type."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MediaRejected(f"media is larger than {max_bytes // (1024 * 1024)} MB ({max_bytes} bytes)")
    if not data:
        raise MediaRejected("media is empty")
    content_type = sniff_image_type(data[:12])
    if content_type is None:
        raise MediaRejected("media must be a JPEG, PNG or WebP image (checked by content, not by name)")
    try:
        return reencode(data, content_type, max_pixels), content_type
    except ImageRejected as exc:
        raise MediaRejected(str(exc)) from exc


class Storage(Protocol):
    def save(self, stream: BinaryIO, filename: str, content_type: str) -> str:
        """Store the stream; return its new key."""

    def url_for(self, key: str) -> str:
        """The public URL of a stored key."""

    def open(self, key: str) -> BinaryIO:
        """Read a stored key (FileNotFoundError if absent)."""

    def delete(self, key: str) -> None:
        """Remove a key if present (cleanup after a rolled-back write)."""


class LocalStorage:
    """Files under one directory, sharded by the key's first two characters."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise FileNotFoundError(key)  # also stops "../" tricks before touching the disk
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, filename: str, content_type: str) -> str:
        # ``filename`` is the client's and is never used on disk.
        key = f"{secrets.token_urlsafe(24)}.{EXTENSIONS[content_type]}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(64 * 1024):
                    out.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def url_for(self, key: str) -> str:
        return f"{self.base_url}/media/{key}"

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except FileNotFoundError:
            pass


def get_storage(app: Flask | None = None) -> Storage:
    """The app's storage, built once from ``MEDIA_DIR`` (default ``INSTANCE_DIR/media``)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, is a proxy
    storage = app.extensions.get("media_storage")
    if storage is None:
        root = Path(app.config.get("MEDIA_DIR") or Path(app.config["INSTANCE_DIR"]) / "media")
        storage = LocalStorage(root, app.config["PUBLIC_BASE_URL"])
        app.extensions["media_storage"] = storage
    return storage


def media_url(media: object) -> str:
    """Where a ticket's photo is served: a client's own URL, else our stored copy."""
    url = getattr(media, "url", None)
    return url or get_storage().url_for(getattr(media, "storage_key", None) or "")
