"""Zip packages (OFD, DOCX, XLSX) opened only after their directory says they are safe to unpack."""

from __future__ import annotations

import io
import zipfile

from ..errors import ExtractionError


def open_zip(data: bytes, *, max_unpacked_bytes: int, max_members: int, what: str, code: str = "bad_package"
             ) -> zipfile.ZipFile:
    """A ``ZipFile`` over ``data`` whose members are few enough and unpack to little enough, judged from the
    central directory before anything is decompressed. Reading a member still stops at its declared size
    (``read_member``), so a directory that lies about sizes gains nothing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ExtractionError(code, f"{what}文件已损坏或无法解析", f"the {what} file is damaged or unreadable"
                              ) from None
    infos = archive.infolist()
    if len(infos) > max_members:
        raise ExtractionError("too_many_members", f"{what}文件包含的部件过多（超过{max_members}个）",
                              f"the {what} package holds more than {max_members} files")
    total = sum(info.file_size for info in infos)
    if total > max_unpacked_bytes:
        limit = f"{max_unpacked_bytes / 1024 / 1024:g} MB"
        raise ExtractionError("too_large_unpacked", f"{what}文件解压后过大（超过 {limit}）",
                              f"the {what} package unpacks to more than {limit}")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, *, what: str) -> bytes:
    """One member's bytes, never more than its declared size (a bomb that under-declares is cut off and refused)."""
    try:
        info = archive.getinfo(name)
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except KeyError:
        raise ExtractionError("bad_package", f"{what}文件缺少{name}", f"the {what} package lacks {name}") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise ExtractionError("bad_package", f"{what}文件已损坏或无法解析", f"the {what} file is damaged or unreadable"
                              ) from None
    if len(data) > info.file_size:
        raise ExtractionError("bad_package", f"{what}文件已损坏（大小与目录不符）",
                              f"the {what} package's sizes do not match its directory")
    return data
