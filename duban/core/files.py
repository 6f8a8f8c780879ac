"""Every stored file (attachments, progress-report files and evidence, 督办通知单) goes through this module and
Django's storage API (``default_storage``, configured by ``STORAGES`` in settings): a file system folder in the data
dir by default, an S3-compatible bucket (django-storages) when several app servers share the files.

A file belongs to the transaction that records it. ``stage_file`` writes the bytes under a temporary name
(``tmp/…``) while the action runs — a full disk or an unreachable bucket fails the action before anything commits —
and queues the move to the final name with ``transaction.on_commit``. An action that stages files is decorated with
``@files_follow_transaction`` outside its ``@transaction.atomic(durable=True)``: when the transaction rolls back,
the decorator deletes what was staged, so a refused or failed request leaves neither a row nor a file. A process
killed between write and commit leaves only ``tmp/`` names, which ``sweep_stale`` removes.

Types are told by the first bytes, never by the file name or the browser's claim, so a renamed script is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import secrets
import threading
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from duban.core.errors import InvalidInput

TMP_PREFIX = "tmp/"
NAME_LIMIT = 200  # characters of the name people gave the file, kept for display only

_staged = threading.local()


def storage():
    """The storage every file goes through (``STORAGES["default"]``)."""
    return default_storage


# --- types by content ------------------------------------------------------------------------------------------

_OFFICE_ZIP = (("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
               ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
               ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"))
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg", ".jpg"),
          (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
          (b"%PDF-", "application/pdf", ".pdf"))
# Phone cameras: iPhones save HEIC, many Android phones WebP; both carry their type a few bytes in.
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"heim", b"heis")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls/.ppt before 2007; the name tells which, the content that it is one
_OLE_SUFFIX = {".doc": "application/msword", ".xls": "application/vnd.ms-excel",
               ".ppt": "application/vnd.ms-powerpoint"}
IMAGE_TYPES = ("image/jpeg", "image/png")
# The uncompressed size and member count of an Office file are checked before we look inside (a zip bomb).
_ZIP_MAX_MEMBERS = 5000
_ZIP_MAX_UNPACKED = 200 * 1024 * 1024


def _office_zip(data: bytes) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > _ZIP_MAX_MEMBERS or sum(i.file_size for i in infos) > _ZIP_MAX_UNPACKED:
                return None
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, content_type, suffix in _OFFICE_ZIP:
        if any(n.startswith(prefix) for n in names):
            return content_type, suffix
    return None


def sniff_type(data: bytes, name: str = "", *, office: bool = True) -> tuple[str, str] | None:
    """``(content type, suffix)`` told from the bytes: JPEG, PNG, PDF, and with ``office`` also HEIC/WebP photos and
    Word/Excel/PowerPoint files (2007+ by their parts, older ones by their OLE2 header); None for anything else."""
    for magic, content_type, suffix in _MAGIC:
        if data.startswith(magic):
            return content_type, suffix
    if not office:
        return None
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic", ".heic"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if data.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if data.startswith(_OLE2):
        suffix = PurePath(name or "").suffix.lower()
        if suffix in _OLE_SUFFIX:
            return _OLE_SUFFIX[suffix], suffix
    return None


@dataclass(frozen=True)
class Upload:
    """A checked upload: what to store and what to show."""

    name: str  # the name people gave it, for display (never a path)
    content: bytes
    content_type: str
    suffix: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def display_name(name: str, suffix: str) -> str:
    """The file's own name without folders or control characters, at most ``NAME_LIMIT`` characters with its
    suffix kept (a 150-character Chinese name is fine: it is only shown, the stored name is random)."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "/\x00").strip()
    if not base:
        return "附件" + suffix
    if len(base) > NAME_LIMIT:
        own = PurePath(base).suffix[:10]
        base = base[:NAME_LIMIT - len(own)] + own
    return base


def check_upload(name: str, content: bytes, *, limit: int, office: bool = True) -> Upload:
    """Refuse an empty, oversized or unrecognised file with a bilingual message; else describe it."""
    if not content:
        raise InvalidInput(f"文件“{display_name(name, '')}”为空", "the file is empty")
    if len(content) > limit:
        raise InvalidInput(f"文件不能超过{limit / (1024 * 1024):g}MB", f"the file must be at most {limit} bytes")
    sniffed = sniff_type(content, name, office=office)
    if sniffed is None:
        if office:
            raise InvalidInput("只接受照片（JPEG、PNG、HEIC、WebP）、PDF 和 Office 文件",
                               "only photos (JPEG, PNG, HEIC, WebP), PDF and Office files are accepted")
        raise InvalidInput("只接受 JPEG、PNG 图片或 PDF 文件", "only JPEG, PNG or PDF files are accepted")
    content_type, suffix = sniffed
    return Upload(name=display_name(name, suffix), content=content, content_type=content_type, suffix=suffix,
                  sha256=hashlib.sha256(content).hexdigest())


# --- writes that follow the transaction ------------------------------------------------------------------------

def random_name(folder: str, suffix: str) -> str:
    """A fresh storage name under ``folder``: random, short and ASCII whatever the file was called."""
    return f"{folder.strip('/')}/{secrets.token_hex(16)}{suffix}"


def _move(temp: str, final: str) -> None:
    store = storage()
    try:
        source, target = store.path(temp), store.path(final)
    except NotImplementedError:  # a remote bucket: copy, then drop the temporary object
        with store.open(temp, "rb") as fh:
            store.save(final, fh)
        store.delete(temp)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)


def stage_file(name: str, content: bytes) -> str:
    """Write ``content`` under a temporary name now and move it to ``name`` when the current transaction commits;
    return ``name``. Must run inside an action decorated with ``files_follow_transaction``, which deletes the
    temporary file when the transaction rolls back."""
    pending = getattr(_staged, "stack", None)
    if not pending:
        raise RuntimeError("files.stage_file runs only inside a @files_follow_transaction action")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("files.stage_file runs only inside a transaction")
    temp = storage().save(TMP_PREFIX + secrets.token_hex(16), ContentFile(content))
    pending[-1].append(temp)
    transaction.on_commit(functools.partial(_move, temp, name))
    return name


def files_follow_transaction(action):
    """Put this outside ``@transaction.atomic(durable=True)``: the files the action staged are deleted when its
    transaction rolls back (a durable action that raised has rolled back; one that returned has committed and
    moved them)."""

    @functools.wraps(action)
    def wrapper(*args, **kwargs):
        if not hasattr(_staged, "stack"):
            _staged.stack = []
        _staged.stack.append([])
        try:
            return action(*args, **kwargs)
        except BaseException:
            for temp in _staged.stack[-1]:
                storage().delete(temp)
            raise
        finally:
            _staged.stack.pop()

    return wrapper


def store_upload(folder: str, upload: Upload) -> str:
    """Stage a checked upload under a random name in ``folder``; return the storage name to record."""
    return stage_file(random_name(folder, upload.suffix), upload.content)


def open_file(name: str):
    """The stored file for reading (a storage ``File``), or None when it is missing."""
    if not name or name.startswith(TMP_PREFIX) or not storage().exists(name):
        return None
    return storage().open(name, "rb")


# Shown in the browser rather than downloaded: photos as thumbnails and PDFs in the browser's viewer.
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def file_response(name: str, *, shown: str, content_type: str, inline: bool = False) -> FileResponse:
    """Serve a stored file (the caller has checked the viewer may see it); 404 when it is missing. ``inline``
    applies only to types a browser shows safely."""
    fh = open_file(name)
    if fh is None:
        raise Http404("文件不存在")
    disposition = "inline" if inline and content_type in INLINE_TYPES else "attachment"
    response = FileResponse(fh, content_type=content_type)
    ascii_name = "attachment" + PurePath(name).suffix
    response["Content-Disposition"] = (f"{disposition}; filename=\"{ascii_name}\"; "
                                       f"filename*=UTF-8''{quote(shown)}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# A photo's thumbnail (a list of reports shows a few at 120×90): a small JPEG made from the stored photo the first
# time it is asked for and kept next to it (``<name>.thumb.jpg``), so a phone loads ~20 KB instead of the camera's
# megabytes. The photo itself is only read, never changed; its rows and checksum stay its own.
THUMBNAIL_SIDE = 360  # pixels of the longest side: sharp at 120 px wide on a phone's screen
THUMBNAIL_SUFFIX = ".thumb.jpg"


def thumbnail_name(name: str) -> str | None:
    """The storage name of the thumbnail of the stored photo ``name``, made now if it is not yet; None when the
    photo is missing or cannot be read as an image (then show the photo itself)."""
    from PIL import Image, ImageOps

    thumb = name + THUMBNAIL_SUFFIX
    store = storage()
    if store.exists(thumb):
        return thumb
    fh = open_file(name)
    if fh is None:
        return None
    out = io.BytesIO()
    try:
        with fh, Image.open(fh) as image:
            image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))  # a JPEG is decoded at a fraction of its size
            small = ImageOps.exif_transpose(image)  # upright, as the camera was held
            small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            if small.mode not in ("RGB", "L"):
                flat = Image.new("RGB", small.size, "white")  # a PNG's transparent parts on white, as a page shows them
                flat.paste(small.convert("RGBA"), mask=small.convert("RGBA"))
                small = flat
            small.save(out, "JPEG", quality=80)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    saved = store.save(thumb, ContentFile(out.getvalue()))
    if saved != thumb:  # another request made it a moment before: keep that one
        store.delete(saved)
    return thumb


def sweep_stale(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete temporary files left by a process that died between writing and committing; return how many."""
    store = storage()
    try:
        _, names = store.listdir(TMP_PREFIX.rstrip("/"))
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    removed = 0
    for name in names:
        full = TMP_PREFIX + name
        if store.get_modified_time(full) < cutoff:
            store.delete(full)
            removed += 1
    return removed
