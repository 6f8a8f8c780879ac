"""Pages of the core app (sign-in, password, notifications, account) and the helpers every app's
pages use to turn domain errors into HTTP: ``NotFound`` → 404 page, ``PermissionDenied`` → 403 page,
``Conflict``/``InvalidInput`` → the message on an error page (views that can do better catch them first and show
the message next to the form)."""

from __future__ import annotations

import html
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from duban.core import actions, selectors
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, error_envelope, is_api_path
from duban.core.rules import check_id
from duban.core.signals import client_ip

PAGE_SIZE = 50


def page_errors(view):
    """Map domain errors raised by a page view to HTTP (one place, like ``duban.api`` does for JSON)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404("未找到") from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message_zh) from None
        except (Conflict, InvalidInput) as exc:
            return render(request, "error.html", {"error": exc}, status=exc.status)

    return wrapper


def page_step(request, run, done, back: str, *, extra_tags: str = ""):
    """One action from a form post, then a redirect to ``back``: the action's refusal (``Conflict``,
    ``InvalidInput``) becomes an error message there, otherwise ``done`` (a text, or a function of what ``run``
    returned) a success message."""
    try:
        result = run()
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, done(result) if callable(done) else done, extra_tags=extra_tags)
    return redirect(back)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


class KeysFirstPaginator(Paginator):
    """A paginator that sorts and slices primary keys only, then loads that page's rows with their joins by those
    keys (``pk IN (...)``). When the database cannot walk an index in the list's order (a unit subtree's OR filter),
    it sorts narrow keys instead of every matching row with its joined columns: 120 ms -> 70 ms for a county's task
    list at 100k tasks on SQLite. Same rows, same order.

    The keys are read first, as a statement of their own: inside one statement (``pk IN (SELECT pk ... LIMIT)``)
    PostgreSQL estimated the filter around it (a unit's tasks: lead unit or cooperating unit) as half the table and
    scanned every task to match the page's 50 keys (a million tasks: 640 ms, against 13 ms for the keys alone)."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows_of(self.page_keys(bottom, top)), number, self)

    def page_keys(self, bottom: int, top: int) -> list:
        """The primary keys of the rows ``bottom:top``, in order."""
        return list(self.object_list.prefetch_related(None).values_list("pk", flat=True)[bottom:top])

    def rows_of(self, keys: list):
        """The rows of ``keys`` with their joins, in order."""
        return self.object_list.filter(pk__in=keys)


def paginate(request, queryset, per_page: int = PAGE_SIZE, *, keys_first: bool = False):
    """One page of ``queryset`` (``?page=``); out-of-range pages show the last page. ``keys_first`` for ordered
    querysets without aggregates (see ``KeysFirstPaginator``)."""
    cls = KeysFirstPaginator if keys_first else Paginator
    return cls(queryset, per_page).get_page(request.GET.get("page"))


def select_options(choices, selected) -> str:
    """A filter drop-down's ``<option>`` elements from ``(id, label)`` pairs, labels escaped, the ``selected`` id
    marked: built in one pass because 500 units and meetings through the template language cost ~40 ms a page.
    Labels go through the standard library's ``html.escape`` (what Django's ``escape`` calls, without its check for
    lazy strings on each of them: a third of the cost). Labels are the names of units and meetings."""
    return mark_safe("".join(  # escaped here
        f'<option value="{int(pk)}"{" selected" if pk == selected else ""}>{html.escape(str(label))}</option>'
        for pk, label in choices))


def select_options_marked(options: str, selected: int | None) -> str:
    """``select_options(choices, selected)`` from ``options = select_options(choices, None)`` (kept, say, in the
    cache of figures): the same markup, the ``selected`` id marked without building the options again."""
    if selected is None:
        return mark_safe(options)  # built by select_options
    plain = f'<option value="{int(selected)}">'
    return mark_safe(options.replace(plain, plain[:-1] + " selected>", 1))  # ditto


# --- sign-in -----------------------------------------------------------------------------------------------

class SignInForm(AuthenticationForm):
    """Django's sign-in form that says why a directory sign-in failed (``duban.core.directory``): the directory
    could not be reached, or it gave the person no role or unknown unit here, instead of "wrong password"."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            refusal = getattr(self.request, "directory_refusal", None)
            if refusal:
                raise forms.ValidationError(refusal, code="directory_refused") from None
            if getattr(self.request, "directory_unreachable", False):
                raise forms.ValidationError(
                    "统一身份认证目录暂时无法连接，请稍后再试；本地账号仍可登录 / the directory cannot be reached",
                    code="directory_unreachable") from None
            raise


class LoginView(auth_views.LoginView):
    """Sign-in. An address with more failures than ``DUBAN_LOGIN_IP_FAILURE_LIMIT`` within the cool-off time (a
    password sprayed across accounts) is answered 429 without a password being checked."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = SignInForm

    def get_context_data(self, **kwargs):
        # An OpenID Connect sign-in that failed comes back here with its reason (duban.core.directory).
        return {**super().get_context_data(**kwargs), "oidc_enabled": settings.DUBAN_OIDC_ENABLED,
                "directory_error": self.request.session.pop("directory_error", None),
                "failure_limit": settings.AXES_FAILURE_LIMIT, "lock_minutes": lock_minutes()}

    def form_invalid(self, form):
        """A wrong password says how many tries are left once the next wrong one would lock the account (django-axes'
        own count for this username from this address)."""
        from axes.handlers.proxy import AxesProxyHandler

        username = str(self.request.POST.get("username") or "")
        failures = AxesProxyHandler.get_failures(self.request, {"username": username}) if username else 0
        left = settings.AXES_FAILURE_LIMIT - failures
        return self.render_to_response(self.get_context_data(form=form, attempts_left=left if 0 < left <= 1 else None))

    def post(self, request, *args, **kwargs):
        ip = client_ip(request)
        if selectors.login_failures_from(ip_address=ip) >= settings.DUBAN_LOGIN_IP_FAILURE_LIMIT:
            actions.user_record_login_failure(username=str(request.POST.get("username") or ""), ip_address=ip,
                                              locked=True)
            context = self.get_context_data(form=self.form_class(request), throttled=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


def lock_minutes() -> int:
    """How long django-axes keeps an account locked (``AXES_COOLOFF_TIME``, in hours), in minutes."""
    return round(settings.AXES_COOLOFF_TIME * 60)


def account_locked(request, original_response=None, credentials=None):
    """django-axes' answer to a sign-in on a locked account (``AXES_LOCKOUT_CALLABLE``): the app's own page saying
    what happened, for how long and whom to ask, with HTTP 429 as before."""
    if is_api_path(request.path):
        return error_envelope(429, "account_locked", f"登录失败次数过多，账号已锁定 {lock_minutes()} 分钟",
                              f"too many failed sign-ins: the account is locked for {lock_minutes()} minutes")
    return render(request, "registration/locked.html",
                  {"failure_limit": settings.AXES_FAILURE_LIMIT, "lock_minutes": lock_minutes()}, status=429)


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out."""


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label="新密码", strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label="确认新密码", strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            raise forms.ValidationError("两次输入的新密码不一致")
        return data


@login_required
def password_change(request):
    """Change one's own password; the forced change of new and demo accounts lands here too."""
    form = PasswordChangeForm(request.POST or None)
    forced = bool(getattr(getattr(request.user, "profile", None), "must_change_password", False))
    if request.method == "POST" and form.is_valid():
        try:
            actions.user_change_password(actor=request.user, old_password=form.cleaned_data["old_password"],
                                         new_password=form.cleaned_data["new_password1"],
                                         ip_address=client_ip(request))
        except InvalidInput as exc:
            form.add_error(None, exc.message_zh)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改。")
            return redirect("dashboard")
    return render(request, "registration/password_change.html",
                  {"form": form, "forced": forced, "policy": password_validators_help_texts()})


# --- numbers and names in HTML built by hand (the dashboards' tables) ---------------------------------------

def template_text(value, plain_numbers: bool = False) -> str:
    """``{{ value }}``: localized and escaped; a plain str, int or float (the cells of the dashboards' tables:
    names, counts and rates) without the localization machinery, which cost ~30 ms for the 3,700 cells of a cold
    dashboard at 100k tasks. ``plain_numbers`` (``numbers_are_plain()``, asked once a page): floats too. For a
    float ``localize`` gives ``str(value)`` with the locale's decimal separator unless it has an exponent (or is
    not finite)."""
    kind = type(value)
    if kind is str:
        return html.escape(value)  # what conditional_escape does to a plain str (localize keeps it)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    if kind is float and plain_numbers:
        text = repr(value)
        if "e" not in text and "n" not in text:  # 1e-05, inf, nan: the long way
            return text
    return conditional_escape(localize(value))


def numbers_are_plain() -> bool:
    """Whether ``localize`` writes an int or a float as ``str`` does: no thousands separator and a decimal point
    (zh-hans)."""
    return not settings.USE_THOUSAND_SEPARATOR and get_format("DECIMAL_SEPARATOR") == "."


# --- notifications -----------------------------------------------------------------------------------------

@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, selectors.notification_list(viewer=request.user, unread_only=unread_only))
    return render(request, "core/notifications.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_read(request):
    """Mark one (``id``) or all of one's notifications read, then go to the task it is about (``next=task``)."""
    raw = request.POST.get("id")
    ids = [check_id(raw)] if raw and raw.isdigit() else None
    actions.notification_mark_read(actor=request.user, notification_ids=ids)
    task_id = request.POST.get("task")
    if task_id and task_id.isdigit():
        return redirect("tasks:detail", task_id=check_id(task_id))
    return redirect("notifications")


# --- account -----------------------------------------------------------------------------------------------

@login_required
@page_errors
def account(request):
    new_token = None
    if request.method == "POST" and request.POST.get("revoke"):
        actions.api_token_revoke(actor=request.user, token_id=check_id(request.POST.get("revoke")) or 0)
        messages.success(request, "令牌已停用。")
        return redirect("account")
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip() or "token"
        new_token = actions.api_token_create(actor=request.user, name=name)
        messages.success(request, "已生成新的 API 令牌，请立即复制保存，离开本页后将无法再次查看。")
    return render(request, "core/account.html", {
        "tokens": selectors.api_token_list(viewer=request.user, everyone=True), "new_token": new_token,
        "profile": getattr(request.user, "profile", None), "now": timezone.now(),
    })
