"""The administration pages as a person uses them: forms post to the real actions, refusals come back with their
message on the same page, a reset password is shown once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

from duban.conftest import login
from duban.core.models import Profile, Unit


def test_unit_admin_adds_a_colleague_and_sees_only_their_subtree(org):
    client = login(Client(), org.lead_admin)
    page = client.get("/manage/people/").content.decode()
    assert "lead_staff" in page and "child_staff" in page and "other_staff" not in page
    assert "督查室" not in page.split('id="pc-role"')[1].split("</select>")[0]  # no office role offered
    response = client.post("/manage/people/new/", {"username": "zhang3", "password": "Zhang-san-2026!",
                                                   "role": "unit_staff", "unit": org.child.pk,
                                                   "display_name": "张三"}, follow=True)
    assert response.status_code == 200 and "已添加 zhang3" in response.content.decode()
    assert Profile.objects.get(user__username="zhang3").unit_id == org.child.pk


def test_a_refused_form_comes_back_with_the_reason_and_writes_nothing(org):
    client = login(Client(), org.sysadmin)
    response = client.post("/manage/people/new/", {"username": "weak", "password": "123", "role": "unit_staff",
                                                   "unit": org.safety.pk}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and "alert-danger" in body and "password" in body
    assert not get_user_model().objects.filter(username="weak").exists()
    stale = client.post(f"/manage/people/{org.lead_staff.pk}/", {"version": 99, "display_name": "x"}, follow=True)
    assert "已被他人修改" in stale.content.decode()
    assert Profile.objects.get(user=org.lead_staff).display_name == "lead_staff"


def test_password_reset_asks_first_is_shown_once_and_a_reload_does_not_reset_again(org):
    client = login(Client(), org.sysadmin)
    url = f"/manage/people/{org.lead_staff.pk}/password-reset/"
    before = get_user_model().objects.get(pk=org.lead_staff.pk).password
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确认重置" in confirm.content.decode()
    assert get_user_model().objects.get(pk=org.lead_staff.pk).password == before  # asking changes nothing
    done = client.post(url)
    assert done.status_code == 302 and done["Location"] == f"/manage/people/{org.lead_staff.pk}/"
    shown = client.get(done["Location"]).content.decode()
    assert 'id="new-password"' in shown
    password = shown.split('id="new-password"')[1].split("<code")[1].split(">")[1].split("<")[0]
    assert get_user_model().objects.get(pk=org.lead_staff.pk).check_password(password)
    again = client.get(done["Location"]).content.decode()  # the reload
    assert password not in again and 'id="new-password"' not in again
    assert get_user_model().objects.get(pk=org.lead_staff.pk).check_password(password)


def test_a_reset_password_is_easy_to_read_aloud_and_keeps_the_policy(org):
    from django.contrib.auth.password_validation import validate_password

    from duban.core import actions

    for _ in range(30):
        password = actions.user_reset_password(actor=org.sysadmin, user_id=org.lead_staff.pk)
        assert not set(password) & set("0Oo1lIi"), password
        validate_password(password, get_user_model().objects.get(pk=org.lead_staff.pk))


def test_unit_tree_page_adds_renames_and_refuses_to_retire_a_busy_unit(org):
    org.task_in("assigned")
    client = login(Client(), org.sysadmin)
    tree = client.get("/manage/units/").content.decode()
    assert tree.index("市应急管理局") < tree.index("市应急管理局临川分局")
    client.post("/manage/units/new/", {"name": "市应急管理局东区分局", "parent": org.safety.pk})
    new = Unit.objects.get(name="市应急管理局东区分局")
    assert new.parent_id == org.safety.pk and new.path.startswith(org.safety.path)
    safety = Unit.objects.get(pk=org.safety.pk)
    refused = client.post(f"/manage/units/{safety.pk}/deactivate/", {"version": safety.version}, follow=True)
    assert "在办事项" in refused.content.decode()
    assert Unit.objects.get(pk=safety.pk).is_active
    client.post(f"/manage/units/{safety.pk}/rename/", {"version": safety.version, "name": "市应急管理委员会"})
    assert Unit.objects.get(pk=safety.pk).name == "市应急管理委员会"


def test_a_task_page_keeps_the_name_its_unit_had_when_the_task_was_given(org):
    task = org.task_in("assigned")
    safety = Unit.objects.get(pk=org.safety.pk)
    login(Client(), org.sysadmin).post(f"/manage/units/{safety.pk}/rename/",
                                       {"version": safety.version, "name": "市应急管理委员会"})
    page = login(Client(), org.supervisor).get(f"/tasks/{task.pk}/").content.decode()
    lead = page.split('id="task-lead">')[1].split("</dd>")[0]
    assert "市应急管理委员会" in lead and "交办时名称：市应急管理局" in lead
    fresh = org.task_in("assigned")
    lead = login(Client(), org.supervisor).get(f"/tasks/{fresh.pk}/").content.decode().split(
        'id="task-lead">')[1].split("</dd>")[0]
    assert "交办时名称" not in lead


def test_adding_a_unit_whose_name_is_taken_comes_back_with_the_reason_and_the_form(org):
    client = login(Client(), org.sysadmin)
    before = Unit.objects.count()
    for name in ("市卫健委", "市卫健委 ", "应急局"):  # an exact name, with a trailing space, another unit's alias
        response = client.post("/manage/units/new/", {"name": name, "short_name": "卫健", "parent": ""})
        body = response.content.decode()
        assert response.status_code == 200, name
        assert "alert-danger" in body and "已是单位" in body and "already" in body, name
        form = body.split('id="unit-create"')[1].split("</form>")[0]
        assert f'value="{name}"' in form and 'value="卫健"' in form, name
    assert Unit.objects.count() == before
    client.post("/manage/units/new/", {"name": "  市医保局  ", "parent": ""})
    assert Unit.objects.filter(name="市医保局").exists()


def test_a_unit_cannot_take_another_units_alias_and_its_aliases_can_be_edited(org):
    client = login(Client(), org.sysadmin)
    health = Unit.objects.get(pk=org.health.pk)
    refused = client.post(f"/manage/units/{health.pk}/rename/", {"version": health.version, "name": "应急局"},
                          follow=True).content.decode()
    assert "已是单位“市应急管理局”的名称或别名" in refused
    assert Unit.objects.get(pk=health.pk).name == "市卫健委"
    edit = client.get(f"/manage/units/{health.pk}/").content.decode().split('id="unit-edit"')[1].split("</form>")[0]
    assert 'name="aliases"' in edit
    client.post(f"/manage/units/{health.pk}/", {"version": health.version, "aliases": "卫健委\n市卫生健康委员会\n卫健委"})
    health = Unit.objects.get(pk=health.pk)
    assert health.aliases == ["卫健委", "市卫生健康委员会"]
    shown = client.get(f"/manage/units/{health.pk}/").content.decode().split('id="ue-aliases"')[1].split("</textarea>")[0]
    assert ">卫健委\n市卫生健康委员会\n" in shown
    taken = client.post(f"/manage/units/{health.pk}/", {"version": health.version, "aliases": "卫健委\n应急局"},
                        follow=True).content.decode()
    assert "已是单位“市应急管理局”的名称或别名" in taken
    assert Unit.objects.get(pk=health.pk).aliases == ["卫健委", "市卫生健康委员会"]
    client.post(f"/manage/units/{health.pk}/", {"version": health.version, "aliases": "市卫生健康委员会"})
    assert Unit.objects.get(pk=health.pk).aliases == ["市卫生健康委员会"]  # a slip can be undone
    new = client.post("/manage/units/new/", {"name": "卫健委", "parent": ""}).content.decode()
    assert "已是单位“市卫健委”的名称或别名" not in new and Unit.objects.filter(name="卫健委").exists()


def test_a_units_phone_must_be_a_phone_number(org):
    client = login(Client(), org.sysadmin)
    health = Unit.objects.get(pk=org.health.pk)
    refused = client.post(f"/manage/units/{health.pk}/", {"version": health.version, "contact_phone": "电话"},
                          follow=True).content.decode()
    assert "联系电话格式不正确" in refused and "not a telephone number" in refused
    assert Unit.objects.get(pk=health.pk).contact_phone == ""
    client.post(f"/manage/units/{health.pk}/", {"version": health.version, "contact_phone": "0794-8221234转801"})
    assert Unit.objects.get(pk=health.pk).contact_phone == "0794-8221234转801"


def test_a_refused_person_keeps_what_was_typed_and_names_every_problem_in_chinese_and_english(org):
    client = login(Client(), org.sysadmin)
    response = client.post("/manage/people/new/", {
        "display_name": "  ", "username": "LEAD_STAFF", "password": "qwerty", "phone": "1380000",
        "email": "not-an-address", "unit": "", "role": "unit_staff"})
    body = response.content.decode()
    assert response.status_code == 200
    errors = body.split('id="person-create-errors"')[1].split("</div>")[0]
    for zh, en in [("请填写姓名", "the name is required"), ("账号已存在", "the username is taken"),
                   ("密码太短，至少需要10位", "at least 10 characters"), ("这个密码太常见", "too common"),
                   ("手机应为11位手机号码", "11 digits"), ("邮箱格式不正确", "email address is not valid"),
                   ("单位用户必须属于一个单位", "needs a unit")]:
        assert zh in errors and en in errors, zh
    assert "This password" not in body and "密码须包含大写字母" in errors
    form = body.split('id="person-create"')[1].split("</form>")[0]
    assert 'value="LEAD_STAFF"' in form and 'value="1380000"' in form and 'value="not-an-address"' in form
    assert "qwerty" not in form  # never the password
    assert 'class="form-control is-invalid" id="pc-phone"' in form
    assert "至少10位" in form.split('id="pc-password-rules"')[1].split("</div>")[0]
    assert not get_user_model().objects.filter(username__iexact="lead_staff").exclude(pk=org.lead_staff.pk).exists()
    kept = client.post("/manage/people/new/", {"display_name": "张三", "username": "zhang3", "password": "x",
                                               "unit": org.child.pk, "role": "unit_admin"}).content.decode()
    form = kept.split('id="person-create"')[1].split("</form>")[0]
    assert f'value="{org.child.pk}" selected' in form and 'value="unit_admin" selected' in form


def test_people_edits_keep_the_same_field_rules(org):
    client = login(Client(), org.sysadmin)
    version = Profile.objects.get(user=org.lead_staff).version
    refused = client.post(f"/manage/people/{org.lead_staff.pk}/", {"version": version, "display_name": "",
                                                                    "phone": "abc123"}, follow=True).content.decode()
    assert "请填写姓名" in refused and "手机应为11位手机号码" in refused
    assert Profile.objects.get(user=org.lead_staff).phone == ""
    client.post(f"/manage/people/{org.lead_staff.pk}/", {"version": version, "phone": "138 0000 0000"})
    assert Profile.objects.get(user=org.lead_staff).phone == "13800000000"


def test_the_password_page_lists_each_rule_once_and_refuses_in_chinese(org):
    client = login(Client(), org.lead_staff)
    page = client.get("/accounts/password/").content.decode()
    rules = page.split('id="password-policy"')[1].split("</ul>")[0]
    assert rules.count("<li>") == 4 and rules.count("10") == 1 and "你" not in rules
    weak = client.post("/accounts/password/", {"old_password": "x", "new_password1": "123456",
                                               "new_password2": "123456"}).content.decode()
    assert "This password" not in weak


def test_deactivating_asks_first_needs_a_reason_and_the_person_page_says_who_when_and_why(org):
    client = login(Client(), org.sysadmin)
    page = client.get(f"/manage/people/{org.lead_staff.pk}/").content.decode()
    form = page.split('id="person-deactivate"')[1].split("</form>")[0]
    assert "data-confirm=" in form and "required" in form.split('name="reason"')[1].split(">")[0]
    refused = client.post(f"/manage/people/{org.lead_staff.pk}/deactivate/", {"reason": "  "},
                          follow=True).content.decode()
    assert "请填写停用原因" in refused and "reason" in refused
    assert get_user_model().objects.get(pk=org.lead_staff.pk).is_active
    client.post(f"/manage/people/{org.lead_staff.pk}/deactivate/", {"reason": "重复账号，误建"})
    assert not get_user_model().objects.get(pk=org.lead_staff.pk).is_active
    shown = client.get(f"/manage/people/{org.lead_staff.pk}/").content.decode()
    note = shown.split('id="deactivated"')[1].split("</div>")[0]
    assert "重复账号，误建" in note and "sysadmin" in note and "停用" in note


def test_the_admin_pages_link_the_delivery_log(org):
    page = login(Client(), org.sysadmin).get("/manage/people/").content.decode()
    assert 'href="/followup/deliveries/"' in page
    assert 'href="/followup/deliveries/"' not in login(Client(), org.lead_admin).get("/manage/people/").content.decode()
