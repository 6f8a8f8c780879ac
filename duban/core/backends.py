"""Authentication backend that loads the user's profile and unit with the user, because every page asks for
both (scoping, the nav bar): two queries saved on every request. Also the session engine (``SESSION_ENGINE``)."""

import datetime as dt
import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL


@functools.cache
def _unread_count() -> RawSQL:
    """The signed-in user's unread notifications, as a column of the user's row (see ``get_user``). Written as
    SQL once: the same subquery built with ``OuterRef``/``Subquery``/``Count`` costs its compilation again on
    every request (~0.4 ms of CPU, a tenth of a small page). Served by the index ``notification_unread_idx``."""
    from duban.core.models import Notification

    user, note = get_user_model()._meta, Notification._meta
    recipient, read_at = note.get_field("recipient").column, note.get_field("read_at").column
    return RawSQL(f'SELECT COUNT(*) FROM "{note.db_table}" WHERE "{note.db_table}"."{recipient}" = '
                  f'"{user.db_table}"."{user.pk.column}" AND "{note.db_table}"."{read_at}" IS NULL', (),
                  output_field=IntegerField())


class ProfileModelBackend(ModelBackend):
    def get_user(self, user_id):
        # The nav bar's unread count rides along (one query less on every page); see context_processors. One row
        # by key: ``[:1]``, not ``first()``, whose ORDER BY only costs compiling.
        user = next(iter(get_user_model()._default_manager.select_related("profile", "profile__unit")
                         .annotate(unread_notifications_at_load=_unread_count()).filter(pk=user_id)[:1]), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        user.request_memo = {}  # this object lives for one request: see permissions.scope_unit_ids
        return user


class SessionStore(DbSessionStore):
    """Django's database sessions (server-side, so deleting the row revokes one) that skip a save which would only
    push the expiry forward by less than ``DUBAN_SESSION_REFRESH_SECONDS``.

    ``SESSION_SAVE_EVERY_REQUEST`` makes every request save the session to restart the idle clock; at one write
    transaction a request that is three of a page's statements. Here a save writes when the data changed, when the
    session is new, or when the expiry in the database is older than the refresh interval. The stored expiry is
    therefore at most that interval earlier than "last request + SESSION_COOKIE_AGE": a session dies after at most
    SESSION_COOKIE_AGE idle seconds (never later), and at the earliest the interval before."""

    _stored_expiry = None

    def _get_session_from_db(self):
        s = super()._get_session_from_db()
        self._stored_expiry = s.expire_date if s is not None else None
        return s

    def save(self, must_create=False):
        if (not must_create and not self.modified and self.session_key is not None
                and self._stored_expiry is not None):
            refresh = dt.timedelta(seconds=getattr(settings, "DUBAN_SESSION_REFRESH_SECONDS", 60))
            if self.get_expiry_date() - self._stored_expiry < refresh:
                return
        super().save(must_create=must_create)
        self._stored_expiry = self.get_expiry_date()
