"""Old Word (.doc), WPS (.wps) and RTF files, converted to .docx by LibreOffice in a separate process: a fresh
profile in a temporary folder, no standard input, a time limit (the whole process group is killed past it) and
limits on the files it may write, so a hostile or broken file costs one bounded conversion and nothing else."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import ExtractionError
from . import Limits

_SUFFIX = {"ole": ".doc", "rtf": ".rtf", "docx": ".docx"}
PACKAGE_HINT = "libreoffice-writer-nogui"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _limit_child(max_file_bytes: int):
    def apply() -> None:  # runs in the child before exec
        os.setsid()
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def convert_to_docx(data: bytes, kind: str, limits: Limits) -> bytes:
    """The .docx LibreOffice makes of ``data`` (an OLE .doc/.wps or an RTF file)."""
    binary = soffice()
    if binary is None:
        raise ExtractionError("converter_missing",
                              f"读取 .doc/.wps/.rtf 需要 LibreOffice，请安装 {PACKAGE_HINT}（apt-get install {PACKAGE_HINT}）",
                              f"reading .doc/.wps/.rtf needs LibreOffice: install {PACKAGE_HINT}")
    with tempfile.TemporaryDirectory(prefix="duban-convert-") as tmp:
        folder = Path(tmp)
        source = folder / ("document" + _SUFFIX.get(kind, ".doc"))
        source.write_bytes(data)
        out = folder / "out"
        out.mkdir()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C.UTF-8",
               "SAL_USE_VCLPLUGIN": "svp"}
        command = [binary, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nofirststartwizard",
                   f"-env:UserInstallation=file://{folder / 'profile'}", "--convert-to", "docx",
                   "--outdir", str(out), str(source)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=env, cwd=tmp,
                                   preexec_fn=_limit_child(limits.max_unpacked_bytes))
        try:
            process.wait(timeout=limits.convert_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise ExtractionError("convert_timeout", f"文件转换超时（超过{limits.convert_seconds}秒），文件可能已损坏",
                                  f"converting the file took longer than {limits.convert_seconds} s; it may be "
                                  f"damaged") from None
        finally:
            try:  # LibreOffice may leave a helper behind in its group
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        produced = list(out.glob("*.docx"))
        if process.returncode != 0 or not produced:
            raise ExtractionError("convert_failed", "无法转换该文件（可能已损坏，或不是文字处理文档）",
                                  "the file could not be converted (damaged, or not a word-processing document)")
        return produced[0].read_bytes()
