from duban.core import permissions as perms
from duban.core.selectors import notification_unread_count


def duban(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "viewer_role": perms.role_of(user),
        "viewer_unit": perms.unit_of(user),
        "viewer_is_supervisor": perms.is_supervisor(user),
        "viewer_is_office": perms.is_office(user),
        "unread_notifications": _unread(user),
    }


def _unread(user) -> int:
    """Counted with the user at the start of the request by ``duban.core.backends.ProfileModelBackend`` (same
    request, so never stale across requests); other ways of signing in count here."""
    n = getattr(user, "unread_notifications_at_load", None)
    return n if n is not None else notification_unread_count(viewer=user)
