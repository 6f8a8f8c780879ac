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
        "unread_notifications": notification_unread_count(viewer=user),
    }
