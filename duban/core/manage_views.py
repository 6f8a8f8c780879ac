"""Administration pages (系统管理): people for the sysadmin and unit admins, the unit tree for the sysadmin. Each
handler parses, calls one selector or action and renders; a refused change comes back to the same page with its
message (Chinese, English alongside), never half done."""

from __future__ import annotations

import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from duban.core import actions, permissions as perms, selectors
from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.models import Role
from duban.core.views import page_errors, paginate


def _int(value) -> int | None:
    return int(value) if value and str(value).strip().isdigit() else None


def back_on_refusal(to: str, key: str | None = None):
    """A change refused on its merits (``InvalidInput``, ``Conflict``) returns to the page ``to`` (with the
    path's ``key``) and says why; not found and forbidden stay 404/403 (``page_errors``)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, **kwargs):
            try:
                return view(request, **kwargs)
            except (InvalidInput, Conflict) as exc:
                messages.error(request, exc.message)
                return redirect(to, **({key: kwargs[key]} if key else {}))

        return login_required(require_POST(page_errors(wrapper)))

    return decorate


def _role_choices(viewer):
    if perms.role_of(viewer) == Role.SYSADMIN:
        return Role.choices
    return [(r.value, r.label) for r in (Role.UNIT_STAFF, Role.UNIT_ADMIN)]


def _unit_choices(viewer):
    if perms.role_of(viewer) == Role.SYSADMIN:
        return [(u, depth) for u, depth in selectors.unit_tree(viewer=viewer)]
    return [(u, u.path.count("/") - perms.unit_of(viewer).path.count("/"))
            for u in perms.units_in_scope(viewer).filter(is_active=True).order_by("path")]


# --- people ------------------------------------------------------------------------------------------------

def _person_list_page(request, **extra):
    query = (request.GET.get("q") or "").strip()
    unit_id = _int(request.GET.get("unit"))
    page = paginate(request, selectors.person_list(viewer=request.user, query=query, unit_id=unit_id))
    return render(request, "core/manage_people.html", {
        "page": page, "q": query, "unit_id": unit_id, "units": _unit_choices(request.user),
        "roles": _role_choices(request.user), "password_rules": password_validators_help_texts(),
        "form": {"role": "unit_staff"}, "field_errors": {}, **extra,
    })


@login_required
@page_errors
def person_list(request):
    return _person_list_page(request)


PERSON_FORM = ("display_name", "username", "phone", "email", "role", "unit")


@login_required
@require_POST
@page_errors
def person_create(request):
    """A refused person comes back on the same page with every problem at its field and what was typed (never
    the password)."""
    form = {k: request.POST.get(k, "") for k in PERSON_FORM}
    unit_id = _int(form["unit"])
    unit = selectors.unit_get(viewer=request.user, unit_id=unit_id) if unit_id else None
    try:
        user = actions.user_create(actor=request.user, username=form["username"],
                                   password=request.POST.get("password", ""), role=form["role"], unit=unit,
                                   display_name=form["display_name"], phone=form["phone"], email=form["email"])
    except (InvalidInput, Conflict) as exc:
        return _person_list_page(request, form={**form, "unit": unit_id}, form_error=exc,
                                 field_errors=exc.details if isinstance(exc.details, dict) else {})
    messages.success(request, f"已添加 {user.username}，首次登录须修改密码。")
    return redirect("manage:person", user_id=user.pk)


def _person_page(request, user_id: int, **extra):
    person = selectors.person_get(viewer=request.user, user_id=user_id)
    return render(request, "core/manage_person.html", {**extra,
        "person": person, "deactivation": selectors.person_deactivation(viewer=request.user, user=person), "units": _unit_choices(request.user), "roles": _role_choices(request.user),
    })


def _new_password_key(user_id: int) -> str:
    return f"manage:new_password:{user_id}"


@login_required
@page_errors
def person_detail(request, user_id: int):
    if request.method == "POST":
        return _person_update(request, user_id=user_id)
    # A password just reset is shown on this page once: taken out of the session as it is shown, so a reload
    # shows nothing and resets nothing.
    return _person_page(request, user_id, new_password=request.session.pop(_new_password_key(user_id), None))


@back_on_refusal("manage:person", "user_id")
def _person_update(request, user_id: int):
    changes = {k: request.POST.get(k, "") for k in ("display_name", "phone", "email", "role") if k in request.POST}
    actions.user_update(actor=request.user, user_id=user_id, version=_int(request.POST.get("version")) or 0,
                        changes=changes)
    messages.success(request, "已保存。")
    return redirect("manage:person", user_id=user_id)


@back_on_refusal("manage:person", "user_id")
def person_move(request, user_id: int):
    actions.user_move(actor=request.user, user_id=user_id, version=_int(request.POST.get("version")) or 0,
                      unit_id=_int(request.POST.get("unit")) or 0)
    messages.success(request, "已调动，此前的报送和记录仍归原单位。")
    return redirect("manage:person", user_id=user_id)


@back_on_refusal("manage:person", "user_id")
def person_deactivate(request, user_id: int):
    actions.user_deactivate(actor=request.user, user_id=user_id, reason=request.POST.get("reason", ""))
    messages.success(request, "账号已停用，记录全部保留。")
    return redirect("manage:person", user_id=user_id)


@back_on_refusal("manage:person", "user_id")
def person_reactivate(request, user_id: int):
    actions.user_reactivate(actor=request.user, user_id=user_id)
    messages.success(request, "账号已启用。")
    return redirect("manage:person", user_id=user_id)


@login_required
@page_errors
def person_password_reset(request, user_id: int):
    """GET asks to confirm; POST resets and redirects to the person's page, which shows the new password once
    (Post/Redirect/Get: reloading that page does not reset again)."""
    if request.method != "POST":
        return render(request, "core/manage_password_reset.html",
                      {"person": selectors.person_get(viewer=request.user, user_id=user_id)})
    return _person_password_reset(request, user_id=user_id)


@back_on_refusal("manage:person", "user_id")
def _person_password_reset(request, user_id: int):
    password = actions.user_reset_password(actor=request.user, user_id=user_id)
    # Kept in the admin's own session (stored server-side) only until the next page shows it; in no URL, log
    # or audit event.
    request.session[_new_password_key(user_id)] = password
    return redirect("manage:person", user_id=user_id)


@back_on_refusal("manage:person", "user_id")
def person_unlock(request, user_id: int):
    cleared = actions.user_unlock(actor=request.user, user_id=user_id)
    messages.success(request, "已解除锁定。" if cleared else "该账号未被锁定，无需解除。")
    return redirect("manage:person", user_id=user_id)


# --- units -------------------------------------------------------------------------------------------------

def _require_unit_admin(viewer) -> None:
    if not perms.can_manage_units(viewer):
        raise PermissionDenied()


def _unit_list_page(request, **extra):
    _require_unit_admin(request.user)
    show_inactive = request.GET.get("inactive") == "1"
    return render(request, "core/manage_units.html", {
        "tree": selectors.unit_tree(viewer=request.user, include_inactive=show_inactive),
        "show_inactive": show_inactive, "form": {}, **extra,
    })


@login_required
@page_errors
def unit_list(request):
    return _unit_list_page(request)


@login_required
@require_POST
@page_errors
def unit_create(request):
    """A refused unit comes back on the same page with the reason and what was typed."""
    form = {k: request.POST.get(k, "") for k in ("name", "short_name", "parent")}
    parent_id = _int(form["parent"])
    parent = selectors.unit_get(viewer=request.user, unit_id=parent_id) if parent_id else None
    try:
        unit = actions.unit_create(actor=request.user, name=form["name"], parent=parent,
                                   short_name=form["short_name"], is_group=request.POST.get("is_group") == "1")
    except (InvalidInput, Conflict) as exc:
        return _unit_list_page(request, form={**form, "parent": parent_id}, form_error=exc)
    messages.success(request, f"已添加单位 {unit.name}。")
    return redirect("manage:units")


@login_required
@page_errors
def unit_detail(request, unit_id: int):
    _require_unit_admin(request.user)
    unit = selectors.unit_get(viewer=request.user, unit_id=unit_id)
    if request.method == "POST":
        return _unit_update(request, unit_id=unit_id)
    return render(request, "core/manage_unit.html", {
        "unit": unit, "units": [(u, d) for u, d in selectors.unit_tree(viewer=request.user) if u.pk != unit.pk],
        "webhook_kinds": unit._meta.get_field("webhook_kind").choices,
    })


@back_on_refusal("manage:unit", "unit_id")
def _unit_update(request, unit_id: int):
    changes = {k: request.POST.get(k, "") for k in actions.UNIT_EDITABLE if k in request.POST}
    if "is_group" in changes:  # a hidden "0" before the checkbox's "1": unticked is sent too
        changes["is_group"] = "1" in request.POST.getlist("is_group")
    if "aliases" in changes:  # one a line (or separated by 、 or commas)
        changes["aliases"] = re.split(r"[\r\n、,，;；]+", changes["aliases"])
    if "sort_order" in changes:
        changes["sort_order"] = int(changes["sort_order"]) if changes["sort_order"].lstrip("-").isdigit() else 0
    actions.unit_update(actor=request.user, unit_id=unit_id, version=_int(request.POST.get("version")) or 0,
                        changes=changes)
    messages.success(request, "已保存。")
    return redirect("manage:unit", unit_id=unit_id)


@back_on_refusal("manage:unit", "unit_id")
def unit_rename(request, unit_id: int):
    actions.unit_rename(actor=request.user, unit_id=unit_id, version=_int(request.POST.get("version")) or 0,
                        name=request.POST.get("name", ""))
    messages.success(request, "已更名，原名称作为别名保留。")
    return redirect("manage:unit", unit_id=unit_id)


@back_on_refusal("manage:unit", "unit_id")
def unit_merge(request, unit_id: int):
    moved = actions.unit_merge(actor=request.user, unit_id=unit_id, into_id=_int(request.POST.get("into")) or 0,
                               version=_int(request.POST.get("version")) or 0)
    messages.success(request, f"已合并：{len(moved['task_ids'])} 项事项、{len(moved['member_ids'])} 人、"
                              f"{len(moved['child_unit_ids'])} 个下属单位已转入。")
    return redirect("manage:unit", unit_id=unit_id)


@back_on_refusal("manage:unit", "unit_id")
def unit_deactivate(request, unit_id: int):
    actions.unit_deactivate(actor=request.user, unit_id=unit_id, version=_int(request.POST.get("version")) or 0)
    messages.success(request, "单位已停用。")
    return redirect("manage:unit", unit_id=unit_id)


# --- work areas (工作领域) ------------------------------------------------------------------------------------

@login_required
@page_errors
def area_list(request):
    _require_unit_admin(request.user)
    return render(request, "core/manage_areas.html", {"areas": selectors.area_admin_list(viewer=request.user)})


@back_on_refusal("manage:areas")
def area_create(request):
    area = actions.area_create(actor=request.user, name=request.POST.get("name", ""))
    messages.success(request, f"已添加工作领域“{area.name}”。")
    return redirect("manage:areas")


@back_on_refusal("manage:areas")
def area_rename(request, area_id: int):
    area = actions.area_rename(actor=request.user, area_id=area_id, name=request.POST.get("name", ""))
    messages.success(request, f"已更名为“{area.name}”，原有事项随之改名。")
    return redirect("manage:areas")


@back_on_refusal("manage:areas")
def area_active_set(request, area_id: int):
    area = actions.area_active_set(actor=request.user, area_id=area_id, active=request.POST.get("active") == "1")
    messages.success(request, f"已恢复“{area.name}”。" if area.is_active
                     else f"已停用“{area.name}”：不再供选择，已有事项保留该领域。")
    return redirect("manage:areas")


# --- bulk import from .xlsx: preview, then apply all rows or none --------------------------------------------

IMPORTS = {
    "people": {"title": "批量导入人员", "columns": "姓名、账号、单位、角色、手机", "back": "manage:people",
               "note": "新账号导入后没有可用密码，请在人员页面逐个“重置密码”并告知本人。"},
    "units": {"title": "批量导入单位", "columns": "名称、上级单位、简称", "back": "manage:units",
              "note": "上级单位须已存在或出现在表中靠上的行。"},
}


def _import_page(request, kind: str):
    import base64
    import binascii

    from duban.core import sheets

    info = IMPORTS[kind]
    context = {"kind": kind, **info}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            data = upload.read() if upload else base64.b64decode(request.POST.get("data", ""), validate=True)
        except binascii.Error:
            data = b""
        filename = upload.name if upload else request.POST.get("filename", "")
        try:
            if not data:
                raise InvalidInput("请选择 .xlsx 文件", "choose an .xlsx file")
            if request.POST.get("do") == "apply":
                act = actions.people_import if kind == "people" else actions.units_import
                counts = act(actor=request.user, data=data, filename=filename)
                messages.success(request, f"已导入：新增 {counts['create']}，修改 {counts['update']}，"
                                          f"不变 {counts['same']}。")
                return redirect(info["back"])
            if kind == "people":
                rows = sheets.read_sheet(data, sheets.PEOPLE_COLUMNS, sheets.PEOPLE_REQUIRED)
                plan = selectors.people_import_plan(viewer=request.user, rows=rows)
            else:
                rows = sheets.read_sheet(data, sheets.UNIT_COLUMNS, sheets.UNIT_REQUIRED)
                plan = selectors.units_import_plan(viewer=request.user, rows=rows)
            context.update(plan=plan, filename=filename, data=base64.b64encode(data).decode(),
                           errors=sum(r.action == "error" for r in plan),
                           counts={a: sum(r.action == a for r in plan) for a in ("create", "update", "same")})
        except (InvalidInput, Conflict) as exc:
            messages.error(request, exc.message)
    return render(request, "core/manage_import.html", context)


@login_required
@page_errors
def people_import(request):
    if not perms.can_manage_people(request.user):
        raise PermissionDenied()
    return _import_page(request, "people")


@login_required
@page_errors
def units_import(request):
    _require_unit_admin(request.user)
    return _import_page(request, "units")
