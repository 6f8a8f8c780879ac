"""The user guide (操作手册) in the help menu: the Markdown pages of ``docs/guide/`` rendered as they are in the
repository, with the screenshots the browser tests take on every run (``docs/guide/img/``).

URLs mirror the files (``/help/`` is ``index.md``, ``/help/office.md``, ``/help/img/office-workbench.png``), so the
relative links and pictures in the Markdown work both here and when reading the files themselves. Only names
matching a plain file name are served, from that folder only."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

GUIDE_DIR = Path(settings.REPO_DIR) / "docs" / "guide"
PAGES = {"index": "操作手册", "office": "督查室的一天", "unit": "承办单位的一天", "leader": "领导的一天",
         "admin": "管理员的一天"}
_IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")
# CommonMark with tables; raw HTML in the Markdown is escaped, not passed through.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def guide_html(page: str) -> str:
    path = GUIDE_DIR / f"{page}.md"
    if page not in PAGES or not path.is_file():
        raise Http404("未找到该页")
    html = _markdown.render(path.read_text(encoding="utf-8"))
    return html.replace("<table>", '<table class="table table-sm">').replace("<img ", '<img class="img-fluid border" ')


@login_required
def guide_page(request, page: str = "index"):
    return render(request, "core/guide.html", {"html": mark_safe(guide_html(page)),  # rendered from our docs
                                               "title": PAGES.get(page, ""), "pages": PAGES, "page": page})


@login_required
def guide_image(request, name: str):
    path = GUIDE_DIR / "img" / name
    if not _IMAGE_NAME.match(name) or not path.is_file():
        raise Http404("未找到该图片")
    return FileResponse(path.open("rb"), content_type="image/png")
