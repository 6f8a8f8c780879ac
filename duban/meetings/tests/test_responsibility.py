"""The responsibility list (职责清单) kept in the database: seeded from the TOML, edited as versions, previewed on a
sample text before saving, read by extraction, exported and imported as TOML."""

from __future__ import annotations

import pytest
from django.test import Client

from duban import extraction
from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.models import AuditEvent
from duban.meetings import actions, responsibility
from duban.meetings.models import ResponsibilityVersion
from duban.meetings.selectors import responsibility_in_force, responsibility_preview

TEXT = "市委常委会召开会议\n会议强调，要全面加强候鸟迁徙通道保护工作，2026年12月底前完成。\n"
FORESTRY = {"name": "市林业局", "full_name": "市林业局", "aliases": ["林业局"], "keywords": ["候鸟迁徙"],
            "areas": []}


def leads(text: str) -> list[str]:
    extracted, _ = actions.extract_upload(text=text, year=2026)
    return [u["name"] for d in extracted["directives"] for u in d["units"] if u["role"] == "lead"]


def test_the_seed_is_the_packaged_toml_until_a_version_is_saved(org):
    version, entries = responsibility_in_force()
    assert version is None
    assert entries[0]["name"] == "市发改委" and "发改委" in entries[0]["aliases"]


def test_a_saved_version_changes_what_extraction_suggests(org):
    assert "市林业局" not in leads(TEXT)
    _, current = responsibility_in_force()
    proposed = [*current, FORESTRY]
    [change] = responsibility_preview(viewer=org.supervisor, entries=proposed, text=TEXT)
    assert "候鸟" in change["text"] and change["after"][0].startswith("市林业局（牵头，候鸟迁徙）")
    assert not ResponsibilityVersion.objects.exists()  # a preview saves nothing
    row = actions.responsibility_save(actor=org.supervisor, entries=proposed, base_version=None, note="增设林业局")
    assert leads(TEXT) == ["市林业局"]
    event = AuditEvent.objects.get(event_type=EventType.RESPONSIBILITY_LIST_CHANGED)
    assert event.extra["changed"] == {"added": ["市林业局"], "removed": [], "edited": []}
    assert event.extra["version"] == row.pk
    with pytest.raises(Conflict):  # someone else's editor still holds the seed
        actions.responsibility_save(actor=org.supervisor, entries=current, base_version=None)


def test_preview_on_the_real_sample_lists_every_suggestion_a_removal_takes_away(org, sample_text):
    _, current = responsibility_in_force()
    before = responsibility.unit_list(current)
    named = [u.name for d in extraction.extract_text(sample_text, units=before).directives for u in d.units]
    victim = max(set(named), key=named.count)
    changes = responsibility_preview(viewer=org.supervisor, entries=[e for e in current if e["name"] != victim],
                                     text=sample_text)
    assert changes
    assert all(any(s.startswith(victim + "（") for s in c["before"]) for c in changes)
    assert not any(s.startswith(victim + "（") for c in changes for s in c["after"])
    assert len(changes) == sum(1 for n in named if n == victim)


@pytest.mark.parametrize("entries, fragment", [
    ([], "不能为空"),
    ([{"name": "市林业局"}, {"name": "市林业局"}], "重复"),
    ([{"name": " "}], "缺少单位名称"),
    ([{"name": "市林业局", "keywords": ["字" * 60]}], "过长"),
])
def test_bad_lists_are_refused_without_a_trace(org, entries, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        actions.responsibility_save(actor=org.supervisor, entries=entries, base_version=None)
    with pytest.raises(PermissionDenied):
        actions.responsibility_save(actor=org.lead_admin, entries=[FORESTRY], base_version=None)
    assert not ResponsibilityVersion.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.RESPONSIBILITY_LIST_CHANGED).exists()


def test_toml_export_and_import_round_trip(org):
    text = actions.responsibility_export(actor=org.supervisor)
    assert responsibility.entries_from_toml(text.encode()) == responsibility_in_force()[1]
    assert AuditEvent.objects.filter(event_type=EventType.RESPONSIBILITY_LIST_EXPORTED).count() == 1
    with pytest.raises(InvalidInput, match="TOML"):
        responsibility.entries_from_toml(b"[[unit]\nname=")


def test_page_previews_then_saves_an_edited_entry(org):
    client = login(Client(), org.supervisor)
    page = client.get("/meetings/responsibility/?edit=市应急管理局").content.decode()
    assert 'value="市应急管理局"' in page
    form = {"base_version": "", "original": "", "name": "市林业局", "full_name": "", "aliases": "林业局",
            "keywords": "候鸟迁徙、湿地", "areas": "", "sample": TEXT, "do": "preview"}
    preview = client.post("/meetings/responsibility/", form).content.decode()
    assert 'id="responsibility-preview"' in preview and "市林业局（牵头，候鸟迁徙）" in preview
    assert not ResponsibilityVersion.objects.exists()
    client.post("/meetings/responsibility/", {**form, "do": "save"})
    entry = next(e for e in responsibility_in_force()[1] if e["name"] == "市林业局")
    assert entry["keywords"] == ["候鸟迁徙", "湿地"]
    assert login(Client(), org.lead_staff).post("/meetings/responsibility/", form).status_code == 403


def test_the_list_is_built_from_the_units_of_unit_management_keeping_known_keywords(org):
    from duban.core.actions import unit_create

    county = unit_create(actor=org.sysadmin, name="县民政局", short_name="民政局", aliases=["县民政"])
    group = unit_create(actor=org.sysadmin, name="乡镇", is_group=True)
    client = login(Client(), org.supervisor)
    _, seed = responsibility_in_force()
    city = next(e for e in seed if e["name"] == "市民政局")
    preview = client.post("/meetings/responsibility/", {"base_version": "", "build": "units",
                                                        "do": "preview"}).content.decode()
    assert 'id="responsibility-whole-confirm"' in preview and not ResponsibilityVersion.objects.exists()
    client.post("/meetings/responsibility/", {"base_version": "", "build": "units", "do": "save", "note": "按本县单位"})
    version, entries = responsibility_in_force()
    names = [e["name"] for e in entries]
    # every active unit that is not a grouping node, and nothing else
    assert set(names) == {"市委督查室", "市应急管理局", "市应急管理局临川分局", "市卫健委", "市教育局", "县民政局"}
    assert group.name not in names
    built = next(e for e in entries if e["name"] == county.name)
    assert built["aliases"] == ["民政局", "县民政"]
    assert built["keywords"] == city["keywords"] and built["areas"] == city["areas"]  # the city's 民政局 entry
    safety = next(e for e in entries if e["name"] == "市应急管理局")
    assert safety["keywords"] == next(e for e in seed if e["name"] == "市应急管理局")["keywords"]
    event = AuditEvent.objects.get(event_type=EventType.RESPONSIBILITY_LIST_CHANGED)
    assert event.extra["version"] == version and "县民政局" in event.extra["changed"]["added"]


def test_several_entries_are_removed_in_one_version(org):
    client = login(Client(), org.supervisor)
    _, seed = responsibility_in_force()
    gone = [seed[0]["name"], seed[1]["name"], seed[2]["name"]]
    preview = client.post("/meetings/responsibility/", {"base_version": "", "remove_names": gone,
                                                        "do": "preview"}).content.decode()
    assert "将移除 3 个" in preview and not ResponsibilityVersion.objects.exists()
    client.post("/meetings/responsibility/", {"base_version": "", "remove_names": gone, "do": "save"})
    assert ResponsibilityVersion.objects.count() == 1
    version, entries = responsibility_in_force()
    assert [e["name"] for e in entries] == [e["name"] for e in seed[3:]]
    assert login(Client(), org.lead_staff).post("/meetings/responsibility/", {
        "base_version": str(version), "remove_names": [entries[0]["name"]], "do": "save"}).status_code == 403
    assert ResponsibilityVersion.objects.count() == 1
