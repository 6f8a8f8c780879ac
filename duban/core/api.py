"""Units, areas, the signed-in user and their notifications."""

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from duban.core.params import BoundedPagination
from duban.core import actions, permissions as perms, selectors
from duban.core.errors import InvalidInput

router = Router()


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    parent_id: int | None
    head_name: str
    contact_name: str
    contact_phone: str


class AreaOut(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str | None
    unit_id: int | None
    unit_name: str | None


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    task_id: int | None
    created_at: str
    read: bool


class TokenIn(Schema):
    name: str = "token"
    days: int | None = Field(None, ge=1, le=366)


class TokenOut(Schema):
    token: str


class TokenInfo(Schema):
    id: int
    name: str
    user_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@router.get("/units", response=list[UnitOut], summary="单位列表 units")
def units(request):
    return list(selectors.unit_list(viewer=request.user, groups=True))


@router.get("/units/{int:unit_id}", response=UnitOut, summary="单位 unit")
def unit(request, unit_id: int):
    return selectors.unit_get(viewer=request.user, unit_id=unit_id)


@router.get("/areas", response=list[AreaOut], summary="工作领域 areas")
def areas(request):
    return list(selectors.area_list(viewer=request.user))


@router.get("/me", response=MeOut, summary="当前用户 the signed-in user")
def me(request):
    user = request.user
    unit = perms.unit_of(user)
    profile = getattr(user, "profile", None)
    return MeOut(id=user.pk, username=user.username, display_name=profile.display_name if profile else "",
                 role=perms.role_of(user), unit_id=unit.pk if unit else None, unit_name=unit.name if unit else None)


@router.get("/notifications", response=list[NotificationOut], summary="我的通知 my notifications")
def notifications(request, unread: bool = False, limit: int = 50):
    rows = selectors.notification_list(viewer=request.user, unread_only=unread)[: max(1, min(limit, 200))]
    return [NotificationOut(id=n.pk, kind=n.kind, title=n.title, body=n.body, task_id=n.task_id,
                            created_at=n.created_at.isoformat(), read=n.read_at is not None) for n in rows]


@router.post("/notifications/read", summary="全部标为已读 mark all read")
def notifications_read(request):
    return {"updated": actions.notification_mark_read(actor=request.user)}


@router.post("/tokens", response={201: TokenOut},
             summary="创建API令牌 create an API token (signed in on the web; a token cannot create tokens)")
def token_create(request, payload: TokenIn):
    token = actions.api_token_create(actor=request.user, name=payload.name, days=payload.days,
                                     via_token=getattr(request, "api_token", None) is not None)
    return Status(201, TokenOut(token=token))


@router.get("/tokens", response=list[TokenInfo], summary="我的API令牌 my API tokens (a sysadmin: everyone's)")
def tokens(request, everyone: bool = False):
    return list(selectors.api_token_list(viewer=request.user, everyone=everyone)[:1000])


@router.post("/tokens/{int:token_id}/revoke", response=TokenInfo, summary="停用API令牌 revoke an API token")
def token_revoke(request, token_id: int):
    return actions.api_token_revoke(actor=request.user, token_id=token_id)


# --- administration: people (sysadmin: everyone; unit admin: own unit and sub-units) and the unit tree ----------

class PersonOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None
    phone: str
    email: str
    is_active: bool
    locked: bool
    must_change_password: bool
    version: int

    # A person is a login and its profile; the list's rows come from ``selectors.person_list`` with both joined.
    @staticmethod
    def resolve_display_name(user) -> str:
        return user.profile.display_name

    @staticmethod
    def resolve_role(user) -> str:
        return user.profile.role

    @staticmethod
    def resolve_unit_id(user) -> int | None:
        return user.profile.unit_id

    @staticmethod
    def resolve_unit_name(user) -> str | None:
        return user.profile.unit.name if user.profile.unit_id else None

    @staticmethod
    def resolve_phone(user) -> str:
        return user.profile.phone

    @staticmethod
    def resolve_locked(user) -> bool:
        return bool(getattr(user, "locked", False))

    @staticmethod
    def resolve_must_change_password(user) -> bool:
        return user.profile.must_change_password

    @staticmethod
    def resolve_version(user) -> int:
        return user.profile.version


class PersonIn(Schema):
    username: str
    password: str
    role: str
    unit_id: int | None = None
    display_name: str = ""
    phone: str = ""
    email: str = ""


class PersonPatch(Schema):
    version: int
    display_name: str | None = None
    phone: str | None = None
    email: str | None = None
    role: str | None = None


class PersonMoveIn(Schema):
    version: int
    unit_id: int


class ReasonIn(Schema):
    reason: str = ""


class PasswordOut(Schema):
    password: str


class UnlockOut(Schema):
    cleared: int


class UnitAdminOut(UnitOut):
    aliases: list[str]
    contact_email: str
    webhook_url: str
    webhook_kind: str
    is_active: bool
    version: int


class UnitIn(Schema):
    name: str
    parent_id: int | None = None
    short_name: str = ""


class UnitPatch(Schema):
    version: int
    short_name: str | None = None
    head_name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    webhook_url: str | None = None
    webhook_kind: str | None = None
    sort_order: int | None = None


class UnitRenameIn(Schema):
    version: int
    name: str
    short_name: str | None = None


class UnitMergeIn(Schema):
    version: int
    into_id: int


class UnitVersionIn(Schema):
    version: int


class MergeOut(Schema):
    task_ids: list[int]
    member_ids: list[int]
    child_unit_ids: list[int]


def _unit_for(viewer, unit_id: int | None):
    return selectors.unit_get(viewer=viewer, unit_id=unit_id) if unit_id else None


@router.get("/people", response=list[PersonOut], summary="人员列表 people one may manage")
@paginate(BoundedPagination, page_size=100)
def people(request, q: str = "", unit_id: int | None = None):
    return selectors.person_list(viewer=request.user, query=q, unit_id=unit_id)


@router.post("/people", response={201: PersonOut}, summary="添加人员 add a person")
def person_create(request, payload: PersonIn):
    unit = _unit_for(request.user, payload.unit_id)
    user = actions.user_create(actor=request.user, username=payload.username, password=payload.password,
                               role=payload.role, unit=unit, display_name=payload.display_name,
                               phone=payload.phone, email=payload.email)
    return Status(201, selectors.person_get(viewer=request.user, user_id=user.pk))


@router.get("/people/{int:user_id}", response=PersonOut, summary="人员 a person")
def person(request, user_id: int):
    return selectors.person_get(viewer=request.user, user_id=user_id)


@router.patch("/people/{int:user_id}", response=PersonOut, summary="修改人员 edit a person")
def person_update(request, user_id: int, payload: PersonPatch):
    changes = payload.dict(exclude={"version"}, exclude_none=True)
    actions.user_update(actor=request.user, user_id=user_id, version=payload.version, changes=changes)
    return selectors.person_get(viewer=request.user, user_id=user_id)


@router.post("/people/{int:user_id}/move", response=PersonOut, summary="调动单位 move to another unit")
def person_move(request, user_id: int, payload: PersonMoveIn):
    actions.user_move(actor=request.user, user_id=user_id, version=payload.version, unit_id=payload.unit_id)
    return selectors.person_get(viewer=request.user, user_id=user_id)


@router.post("/people/{int:user_id}/deactivate", response=PersonOut, summary="停用账号 deactivate")
def person_deactivate(request, user_id: int, payload: ReasonIn):
    actions.user_deactivate(actor=request.user, user_id=user_id, reason=payload.reason)
    return selectors.person_get(viewer=request.user, user_id=user_id)


@router.post("/people/{int:user_id}/reactivate", response=PersonOut, summary="启用账号 reactivate")
def person_reactivate(request, user_id: int):
    actions.user_reactivate(actor=request.user, user_id=user_id)
    return selectors.person_get(viewer=request.user, user_id=user_id)


@router.post("/people/{int:user_id}/password-reset", response=PasswordOut,
             summary="重置密码（下次登录须修改） reset the password")
def person_password_reset(request, user_id: int):
    return PasswordOut(password=actions.user_reset_password(actor=request.user, user_id=user_id))


@router.post("/people/{int:user_id}/unlock", response=UnlockOut, summary="解除锁定 unlock")
def person_unlock(request, user_id: int):
    return UnlockOut(cleared=actions.user_unlock(actor=request.user, user_id=user_id))


@router.post("/units", response={201: UnitAdminOut}, summary="添加单位 add a unit")
def unit_create(request, payload: UnitIn):
    parent = _unit_for(request.user, payload.parent_id)
    if parent is not None and not parent.is_active:
        raise InvalidInput("上级单位已停用", "the parent unit is inactive")
    return Status(201, actions.unit_create(actor=request.user, name=payload.name, parent=parent,
                                           short_name=payload.short_name))


@router.patch("/units/{int:unit_id}", response=UnitAdminOut, summary="修改单位联系方式和推送目标 edit contacts and channel targets")
def unit_update(request, unit_id: int, payload: UnitPatch):
    changes = payload.dict(exclude={"version"}, exclude_none=True)
    return actions.unit_update(actor=request.user, unit_id=unit_id, version=payload.version, changes=changes)


@router.post("/units/{int:unit_id}/rename", response=UnitAdminOut, summary="单位更名 rename a unit")
def unit_rename(request, unit_id: int, payload: UnitRenameIn):
    return actions.unit_rename(actor=request.user, unit_id=unit_id, version=payload.version, name=payload.name,
                               short_name=payload.short_name)


@router.post("/units/{int:unit_id}/merge", response=MergeOut, summary="单位合并（机构改革） merge a unit into another")
def unit_merge(request, unit_id: int, payload: UnitMergeIn):
    moved = actions.unit_merge(actor=request.user, unit_id=unit_id, into_id=payload.into_id,
                               version=payload.version)
    return MergeOut(**{k: moved[k] for k in ("task_ids", "member_ids", "child_unit_ids")})


@router.post("/units/{int:unit_id}/deactivate", response=UnitAdminOut, summary="停用单位 deactivate a unit")
def unit_deactivate(request, unit_id: int, payload: UnitVersionIn):
    return actions.unit_deactivate(actor=request.user, unit_id=unit_id, version=payload.version)
