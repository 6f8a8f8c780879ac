"""The user guide: one page per role's day, linked from the help menu, every picture it shows present and taken
by a browser test on each run (so none can go stale without a test noticing)."""

from __future__ import annotations

import re

import pytest

from duban.conftest import REPO_DIR, login
from duban.core.guide import GUIDE_DIR, PAGES

BROWSER_TESTS = [REPO_DIR / "duban" / "tasks" / "tests" / "test_browser_day.py"]


def _pictures(page: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(img/([^)]+)\)", (GUIDE_DIR / f"{page}.md").read_text(encoding="utf-8"))


def test_one_page_per_role_each_with_pictures():
    for page in ("office", "unit", "leader", "admin"):
        assert (GUIDE_DIR / f"{page}.md").is_file()
        assert _pictures(page), page


def test_every_picture_exists_and_a_browser_test_takes_it():
    taken = set()
    for path in BROWSER_TESTS:
        taken |= set(re.findall(r'picture\(\w+, "([^"]+)"\)', path.read_text(encoding="utf-8")))
    for page in PAGES:
        for name in _pictures(page):
            assert (GUIDE_DIR / "img" / name).is_file(), name
            assert name in taken, f"{name} is not taken by any browser test"


@pytest.mark.django_db
def test_the_help_menu_links_the_guide_and_its_pages_render(client, org):
    login(client, org.lead_staff)
    home = client.get("/").content.decode()
    assert 'id="help-guide"' in home and 'href="/help/"' in home
    index = client.get("/help/").content.decode()
    for page in ("office", "unit", "leader", "admin"):
        assert f'href="{page}.md"' in index
        body = client.get(f"/help/{page}.md").content.decode()
        for name in _pictures(page):
            assert f'src="img/{name}"' in body
            picture = client.get(f"/help/img/{name}")
            assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert client.get("/help/secret.md").status_code == 404
    assert client.get("/help/img/..%2Fsettings.py").status_code == 404


def test_the_guide_needs_a_signed_in_user(client):
    assert client.get("/help/").status_code == 302
    assert client.get("/help/img/office-workbench.png").status_code == 302
