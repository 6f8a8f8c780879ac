"""Photos from a phone's camera in real Chromium: a file picker that states a limit (合计不超过5MB) shrinks large
JPEG/PNG photos before they are sent, so two 4 MB photos go through; a file that stays too large is named on the
page before anything is sent, instead of the server refusing the whole request."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from duban.conftest import PASSWORD
from duban.core.tests.browser import chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _camera_photo(seed: int) -> bytes:
    """A 3000×4000 JPEG of about 4 MB, which compresses as badly as a real photo (noise over a gradient)."""
    from PIL import Image, ImageChops

    width, height = 3000, 4000
    shade = Image.linear_gradient("L").resize((width, height))
    grain = ImageChops.offset(Image.effect_noise((width, height), 11), seed, seed)
    blotches = Image.effect_noise((width // 4, height // 4), 60).convert("L").resize((width, height))
    out = io.BytesIO()
    Image.merge("RGB", (blotches, grain, shade)).save(out, "JPEG", quality=85)
    return out.getvalue()


def test_two_camera_photos_are_shrunk_and_a_file_too_large_is_named(live_server, transactional_db, monkeypatch,
                                                                      settings):
    from PIL import Image
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.core.files import open_file
    from duban.sources import actions
    from duban.sources.actions import attachment_storage_name
    from duban.sources.models import Attachment, Hazard, HazardStatus

    settings.DUBAN_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    settings.DUBAN_ROUTE_MAX_BODY_BYTES = [("/sources/hazards/", settings.DUBAN_ATTACHMENT_MAX_BYTES)]
    org = Org()
    hazard = actions.hazard_create(actor=org.supervisor, place="城南农贸市场二层商铺", category="gas",
                                   severity="major", description="液化气钢瓶与灶具间距不足。",
                                   deadline=dt.date.today() + dt.timedelta(days=10), responsible_person="张建国",
                                   lead_unit_id=org.safety.pk, assign=True)
    photos = [_camera_photo(seed) for seed in (1, 2)]
    assert all(3 * 1024 * 1024 < len(p) < 5 * 1024 * 1024 for p in photos) and sum(map(len, photos)) > 5 * 1024 * 1024
    too_large_pdf = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF\n"
    with chromium_page(monkeypatch, width=390, height=844) as (page, errors):
        sign_in(page, live_server.url, "lead_staff", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        url = f"{live_server.url}/sources/hazards/{hazard.pk}/"
        page.goto(url)
        sent = []
        page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)

        # a file that no shrinking helps: named, and nothing is sent
        page.set_input_files("#hazard-files", files=[{"name": "整改方案.pdf", "mimeType": "application/pdf",
                                                      "buffer": too_large_pdf}])
        note = page.locator("#rectify-form .upload-note")
        assert note.inner_text() == "“整改方案.pdf”（6MB）过大：本栏文件合计不能超过5MB，请换一个较小的文件。"
        page.fill("#rectify-text", "已将钢瓶移至室外专用间。")
        page.click("#rectify-form button[type=submit]:has-text('报送整改')")
        page.wait_for_timeout(500)
        assert sent == [] and page.url == url

        # two phone photos: shrunk in the page, then sent with the report
        page.set_input_files("#hazard-files", files=[
            {"name": f"IMG_00{n}.jpg", "mimeType": "image/jpeg", "buffer": photo} for n, photo in enumerate(photos)])
        expect(note).to_contain_text("照片已压缩：", timeout=30000)
        page.click("#rectify-form button[type=submit]:has-text('报送整改')")
        page.wait_for_load_state()
        page.wait_for_selector("#hazard-status")
        assert page.locator("h1").first.inner_text() != "413"
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert hazard.status == HazardStatus.RECTIFIED
    stored = list(Attachment.objects.filter(hazard=hazard).order_by("pk"))
    assert [a.original_name for a in stored] == ["IMG_000.jpg", "IMG_001.jpg"]
    for attachment in stored:
        assert attachment.content_type == "image/jpeg" and attachment.size < 1.5 * 1024 * 1024
        with open_file(attachment_storage_name(attachment)) as stored_file, Image.open(stored_file) as image:
            assert max(image.size) == 2000 and image.size[1] > image.size[0]  # upright, as taken
    assert errors == []
