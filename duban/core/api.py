"""Units, areas, the signed-in user and their notifications."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from duban.core import actions, permissions as perms, selectors

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
    return list(selectors.unit_list(viewer=request.user))


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
