"""Every setting of duban, read from the environment (``DUBAN_*`` and ``DATABASE_URL``).

Defaults suit a laptop on 127.0.0.1 and are safe to expose: DEBUG is off unless ``DUBAN_DEBUG=1``; without
``DUBAN_SECRET_KEY`` a random key is made once and kept in the data folder; without ``DUBAN_ALLOWED_HOSTS`` only
loopback names are served (any other Host header gets a 400). ``.env.example`` lists every variable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent


def env(name: str, default: str | None = None) -> str | None:
    """The one place settings read the environment."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


# Debug pages list every URL and show settings and source: only when asked for by name.
DEBUG = env_bool("DUBAN_DEBUG", False)
# Served over HTTPS (behind a TLS proxy that sets X-Forwarded-Proto): secure cookies and HSTS.
DUBAN_HTTPS = env_bool("DUBAN_HTTPS", False)
DATA_DIR = Path(env("DUBAN_DATA_DIR", str(REPO_DIR / "var")))
# The SQLite file, backups and attachments live here; SQLite cannot create the folder itself.
DATA_DIR.mkdir(parents=True, exist_ok=True)


def secret_file(name: str, nbytes: int = 48) -> str:
    """A random secret kept in ``DATA_DIR/name`` (made once, readable by the owner only): the default of a secret
    setting, so a fresh install is never served with a key everyone knows."""
    import secrets

    path = DATA_DIR / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


SECRET_KEY = env("DUBAN_SECRET_KEY") or secret_file("secret_key")



def _audit_keys() -> dict[str, str]:
    """``DUBAN_AUDIT_KEYS="2026a:secret,2027a:secret"``: every key that ever keyed the audit chain, by id (rows
    name theirs), so old rows still verify after a rotation. Unset: one key made once in the data folder."""
    keys = {}
    for item in (env("DUBAN_AUDIT_KEYS", "") or "").split(","):
        if item.strip():
            key_id, _, secret = item.strip().partition(":")
            if not key_id or len(secret) < 16 or len(key_id) > 32:
                raise ImproperlyConfigured("DUBAN_AUDIT_KEYS: each entry is ID:SECRET, the secret 16+ characters")
            keys[key_id] = secret
    return keys or {"local": secret_file("audit_key")}


# The audit chain is keyed (HMAC) with a secret outside the database; a rotation adds a key and names it here.
DUBAN_AUDIT_KEYS = _audit_keys()
DUBAN_AUDIT_KEY_ID = env("DUBAN_AUDIT_KEY_ID") or list(DUBAN_AUDIT_KEYS)[-1]
if DUBAN_AUDIT_KEY_ID not in DUBAN_AUDIT_KEYS:
    raise ImproperlyConfigured("DUBAN_AUDIT_KEY_ID names no key of DUBAN_AUDIT_KEYS")
# Every committed audit event's id and hash is appended here, outside the database: ``duban audit verify`` then
# finds a chain that was cut short, deleted or recomputed. Keep it on another disk or ship it (logrotate, syslog).
DUBAN_AUDIT_ANCHOR_FILE = Path(env("DUBAN_AUDIT_ANCHOR_FILE") or DATA_DIR / "audit-anchor.log")

ALLOWED_HOSTS = [h for h in (env("DUBAN_ALLOWED_HOSTS", "") or "").split(",") if h]
if not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
CSRF_TRUSTED_ORIGINS = [o for o in (env("DUBAN_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # its templates and static files: the API docs page loads Swagger UI from us, not from a CDN
    "duban.core",
    "duban.meetings",
    "duban.tasks",
    "duban.followup",
    "duban.reports",
    "duban.sources",
    "duban.workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "duban.core.uploads.RequestSizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "duban.core.middleware.SecurityHeadersMiddleware",
    "duban.core.error_pages.DatabaseErrorMiddleware",
    "duban.core.middleware.PasswordChangeRequiredMiddleware",
    "duban.core.middleware.SignInRedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "duban.urls"
WSGI_APPLICATION = "duban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "duban.core.context_processors.duban",
            ],
        },
    },
]


def _database_from_url(url: str | None) -> dict:
    if not url:
        path = DATA_DIR / "duban.sqlite3"
        url = f"sqlite:///{path}"
    import dj_database_url

    config = dj_database_url.parse(url)
    sqlite = config["ENGINE"] == "django.db.backends.sqlite3"
    # A SQLite connection is a file handle and its page cache: kept open, the cache survives between requests
    # (the reports dashboard's light rows at 100k tasks: 40 -> 24 ms). A PostgreSQL connection is a server process
    # each, counted against max_connections: kept only when the deployment says so (docs/deployment.md).
    config["CONN_MAX_AGE"] = env_int("DUBAN_DB_CONN_MAX_AGE", 600 if sqlite else 0)
    if sqlite:
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on the busy timeout instead of failing with "database is locked" mid-transaction.
        # SQLite's default page cache is 2 MB a connection: a pass over 100k tasks' index re-reads it from the
        # operating system every time.
        # synchronous=FULL syncs the WAL at every commit, so an acknowledged write survives an operating-system
        # crash or power cut (NORMAL syncs only at checkpoints: the last commits may vanish). Measured cost on this
        # workload in bench/RESULTS.md ("SQLite durability"); NORMAL stays available for who accepts the risk.
        cache_kib = env_int("DUBAN_SQLITE_CACHE_MB", 16) * 1024
        synchronous = (env("DUBAN_SQLITE_SYNCHRONOUS", "FULL") or "FULL").upper()
        if synchronous not in ("FULL", "EXTRA", "NORMAL"):
            raise ImproperlyConfigured("DUBAN_SQLITE_SYNCHRONOUS must be FULL, EXTRA or NORMAL")
        config["OPTIONS"] = {
            "init_command": (f"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON; "
                             f"PRAGMA cache_size=-{cache_kib};"),
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("DUBAN_SQLITE_TIMEOUT", 30),
        }
        config["TEST"] = {"NAME": env("DUBAN_TEST_SQLITE", None)}
    else:
        # Each process names its sessions, so a restore can tell its own (and its threads') from a server's.
        config.setdefault("OPTIONS", {})["application_name"] = f"duban-{os.getpid()}"
        # Prepared statements: a statement run more than DUBAN_DB_PREPARE_THRESHOLD times on a connection is
        # prepared (psycopg's server-side binding), and PostgreSQL parses and plans it once instead of at every run
        # (the list by unit and the task page at a million tasks: about 2 of their 11-13 ms). "off" sends every
        # statement with its values in it, as Django does by default: for PgBouncer before 1.21 in transaction mode.
        threshold = (env("DUBAN_DB_PREPARE_THRESHOLD", "1") or "1").strip().lower()
        if threshold != "off":
            if not threshold.isdigit():
                raise ImproperlyConfigured("DUBAN_DB_PREPARE_THRESHOLD must be a whole number or off")
            config["OPTIONS"].update(server_side_binding=True, prepare_threshold=int(threshold))
        # PostgreSQL's JIT compiles a statement whose planned cost passes jit_above_cost: 80-135 ms of compiling
        # for a page's statement that runs in under a millisecond (a search by a unit whose scope is the whole
        # city: the scope's subquery, never run, planned at millions). Off for duban's connections unless
        # DUBAN_DB_JIT=on; any ``options`` the URL gives are kept.
        jit = (env("DUBAN_DB_JIT", "off") or "off").strip().lower()
        if jit not in ("on", "off"):
            raise ImproperlyConfigured("DUBAN_DB_JIT must be on or off")
        if jit == "off":
            config["OPTIONS"]["options"] = " ".join(filter(None, (config["OPTIONS"].get("options"), "-c jit=off")))
    return config


DATABASES = {"default": _database_from_url(env("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "duban.core.backends.ProfileModelBackend",
]
# Sign-in with the organisation's directory (docs/administration.md). Local accounts are tried first and keep working.
# LDAP / Active Directory, on when DUBAN_LDAP_URI is set: a person's groups give the role
# (DUBAN_LDAP_ROLE_GROUPS "role=group DN;..."), an attribute the unit (DUBAN_LDAP_UNIT_ATTR, its value a unit's name).
DUBAN_LDAP_URI = env("DUBAN_LDAP_URI", "")
DUBAN_LDAP_ROLE_GROUPS = env("DUBAN_LDAP_ROLE_GROUPS", "")
DUBAN_LDAP_UNIT_ATTR = env("DUBAN_LDAP_UNIT_ATTR", "ou")
if DUBAN_LDAP_URI:
    from duban.core.ldap_config import ldap_settings

    globals().update(ldap_settings(
        uri=DUBAN_LDAP_URI, bind_dn=env("DUBAN_LDAP_BIND_DN", ""), bind_password=env("DUBAN_LDAP_BIND_PASSWORD", ""),
        user_base=env("DUBAN_LDAP_USER_BASE", ""), user_filter=env("DUBAN_LDAP_USER_FILTER", "(uid=%(user)s)"),
        group_base=env("DUBAN_LDAP_GROUP_BASE", ""), group_type=env("DUBAN_LDAP_GROUP_TYPE", "groupOfNames"),
        timeout=env_int("DUBAN_LDAP_TIMEOUT", 5)))
    AUTHENTICATION_BACKENDS.append("duban.core.directory.DirectoryBackend")
# OpenID Connect, on when DUBAN_OIDC_CLIENT_ID is set: the sign-in page offers 统一身份认证登录; claims give the login
# (DUBAN_OIDC_USERNAME_CLAIM), the role (DUBAN_OIDC_ROLE_CLAIM values mapped by DUBAN_OIDC_ROLE_MAP) and the unit.
DUBAN_OIDC_ENABLED = bool(env("DUBAN_OIDC_CLIENT_ID", ""))
OIDC_RP_CLIENT_ID = env("DUBAN_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env("DUBAN_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("DUBAN_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env("DUBAN_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env("DUBAN_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env("DUBAN_OIDC_JWKS_ENDPOINT", "") or None
OIDC_RP_SIGN_ALGO = env("DUBAN_OIDC_SIGN_ALGO", "RS256" if OIDC_OP_JWKS_ENDPOINT else "HS256")
OIDC_RP_SCOPES = env("DUBAN_OIDC_SCOPES", "openid email profile")
OIDC_TIMEOUT = env_int("DUBAN_OIDC_TIMEOUT", 5)
DUBAN_OIDC_USERNAME_CLAIM = env("DUBAN_OIDC_USERNAME_CLAIM", "preferred_username")
DUBAN_OIDC_ROLE_CLAIM = env("DUBAN_OIDC_ROLE_CLAIM", "groups")
DUBAN_OIDC_ROLE_MAP = env("DUBAN_OIDC_ROLE_MAP", "")
DUBAN_OIDC_UNIT_CLAIM = env("DUBAN_OIDC_UNIT_CLAIM", "department")
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"
if DUBAN_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("duban.core.directory.OIDCBackend")
# argon2id at OWASP's parameters (docs/settings.md, "Password hashing"); hashes with Django's heavier defaults are
# upgraded at their next sign-in.
PASSWORD_HASHERS = [
    "duban.core.passwords.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # Django's rules with Chinese messages (duban.core.passwords), in the order 密码要求 lists them
    {"NAME": "duban.core.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "duban.core.passwords.CharacterClassValidator"},
    {"NAME": "duban.core.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "duban.core.passwords.CommonPasswordValidator"},
]
# A new password may not be any of the last N (the current one and N - 1 before it).
DUBAN_PASSWORD_HISTORY = env_int("DUBAN_PASSWORD_HISTORY", 5)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# 等保三级: five failures lock an account, for 30 minutes, from the address they came from. Locking the account
# everywhere would let anyone outside lock the office out with five guesses; locking the address would lock a
# whole county office behind one NAT address for one mistyped password. Spraying across accounts is slowed by a
# second, higher limit per address (duban.core.views.LoginView), counted from the same attempts.
AXES_FAILURE_LIMIT = env_int("DUBAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("DUBAN_LOGIN_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
DUBAN_LOGIN_IP_FAILURE_LIMIT = env_int("DUBAN_LOGIN_IP_FAILURE_LIMIT", 30)
# Failures on a locked account are audited once a minute per username and address, with their count.
DUBAN_LOGIN_AUDIT_BURST_SECONDS = env_int("DUBAN_LOGIN_AUDIT_BURST_SECONDS", 60)
AXES_RESET_ON_SUCCESS = True
# A locked account gets the app's own page (in Chinese, how long, whom to ask) instead of axes' English sentence.
AXES_LOCKOUT_CALLABLE = "duban.core.views.account_locked"
AXES_VERBOSE = False
DUBAN_API_TOKEN_DAYS = env_int("DUBAN_API_TOKEN_DAYS", 90)  # a new API token's validity
SESSION_COOKIE_AGE = env_int("DUBAN_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Database sessions (revocable: delete the row) whose expiry write is skipped while the stored expiry is less than
# DUBAN_SESSION_REFRESH_SECONDS old: three statements (BEGIN, UPDATE, COMMIT) off most requests; idle expiry stays
# at most SESSION_COOKIE_AGE (duban/core/backends.py).
SESSION_ENGINE = "duban.core.backends"
DUBAN_SESSION_REFRESH_SECONDS = env_int("DUBAN_SESSION_REFRESH_SECONDS", 60)
# Dashboard figures cached under a key that includes the audit chain head (duban/core/cache.py); 0 = off.
DUBAN_STATS_CACHE_SECONDS = env_int("DUBAN_STATS_CACHE_SECONDS", 300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = DUBAN_HTTPS
CSRF_COOKIE_SECURE = DUBAN_HTTPS
if DUBAN_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DUBAN_HSTS_SECONDS", 31536000)
CSRF_FAILURE_VIEW = "duban.core.error_pages.csrf_failure"
# Django's admin (a second sign-in page, outside duban's actions and audit) only when asked for.
DUBAN_ADMIN = env_bool("DUBAN_ADMIN", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO dates first in every form (duban/formats/zh_Hans/formats.py): <input type="date"> shows nothing else.
FORMAT_MODULE_PATH = ["duban.formats"]
TIME_ZONE = env("DUBAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DUBAN_STATIC_ROOT", str(REPO_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
# Without collectstatic (development, tests) serve from the finders and do not warn about a missing STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG or not STATIC_ROOT.is_dir()

# Every stored file goes through Django's storage API (``duban.core.files``): by default a folder in the data dir
# (so backups of the data dir hold the files); ``DUBAN_FILE_STORAGE`` names another backend, e.g.
# ``storages.backends.s3.S3Storage`` (django-storages) with ``DUBAN_FILE_STORAGE_OPTIONS`` as JSON, so that several
# app servers share one bucket.
STORAGES = {
    "default": {"BACKEND": env("DUBAN_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"),
                "OPTIONS": json.loads(env("DUBAN_FILE_STORAGE_OPTIONS", "") or "null") or {"location": str(DATA_DIR)}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DUBAN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DUBAN_MAX_UPLOAD_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
DUBAN_UNITS_FILE = env("DUBAN_UNITS_FILE")  # a 职责清单 TOML replacing the built-in one
# Documents read at import (PDF, OFD, old Word, scans): what one file may cost before it is refused.
DUBAN_MAX_DOCUMENT_PAGES = env_int("DUBAN_MAX_DOCUMENT_PAGES", 300)
DUBAN_MAX_IMAGE_PIXELS = env_int("DUBAN_MAX_IMAGE_PIXELS", 40_000_000)
DUBAN_CONVERT_SECONDS = env_int("DUBAN_CONVERT_SECONDS", 60)
DUBAN_ATTACHMENT_MAX_BYTES = env_int("DUBAN_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)  # photos of hazards etc.
# Bodies refused by their Content-Length before they are read (duban/core/uploads.py): from nobody signed in (the
# sign-in form), and per route for the signed-in (other routes: DUBAN_MAX_UPLOAD_BYTES).
DUBAN_ANONYMOUS_MAX_BODY_BYTES = env_int("DUBAN_ANONYMOUS_MAX_BODY_BYTES", 64 * 1024)
DUBAN_ROUTE_MAX_BODY_BYTES = [("/sources/hazards/", DUBAN_ATTACHMENT_MAX_BYTES),
                              ("/api/v1/hazards/", DUBAN_ATTACHMENT_MAX_BYTES)]
# Zip-based documents (.docx, .xlsx): refused from their directory before anything is unpacked.
DUBAN_ZIP_MAX_UNPACKED_BYTES = env_int("DUBAN_ZIP_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
DUBAN_ZIP_MAX_MEMBERS = env_int("DUBAN_ZIP_MAX_MEMBERS", 2000)
# Progress reports carry photos (a phone camera's JPEG/HEIC), PDFs and Office files, each at most this size.
DUBAN_REPORT_FILE_MAX_BYTES = env_int("DUBAN_REPORT_FILE_MAX_BYTES", 10 * 1024 * 1024)
DUBAN_REPORT_MAX_FILES = env_int("DUBAN_REPORT_MAX_FILES", 9)
# Until the office sets its own rule (办结佐证要求 page), the kinds of task whose close request (申请办结) needs
# evidence (a description or a file): "all", "none" or a comma-separated list of kinds (meeting, instruction,
# inspection, livelihood, hazard, other).
_ALL_KINDS = ("meeting", "instruction", "inspection", "livelihood", "hazard", "other")
_evidence_kinds = (env("DUBAN_CLOSE_EVIDENCE_KINDS", "all") or "none").strip().lower()
DUBAN_CLOSE_EVIDENCE_KINDS = (_ALL_KINDS if _evidence_kinds == "all" else () if _evidence_kinds == "none"
                              else tuple(k.strip() for k in _evidence_kinds.split(",") if k.strip()))
if set(DUBAN_CLOSE_EVIDENCE_KINDS) - set(_ALL_KINDS):
    raise ImproperlyConfigured(f"DUBAN_CLOSE_EVIDENCE_KINDS: unknown kinds {sorted(set(DUBAN_CLOSE_EVIDENCE_KINDS) - set(_ALL_KINDS))}")
# Follow-up (duban.followup): blue light N working days ahead; yellow when progress trails the elapsed share of
# time by more than the tolerance (percentage points); the scheduler's period; delivery retries back off
# base, 2*base, 4*base ... seconds and give up (dead) after the maximum number of attempts.
DUBAN_REMIND_DAYS = env_int("DUBAN_REMIND_DAYS", 3)
DUBAN_PROGRESS_TOLERANCE = env_int("DUBAN_PROGRESS_TOLERANCE", 20)
DUBAN_SCHEDULER_INTERVAL = env_int("DUBAN_SCHEDULER_INTERVAL", 60)
# The local hour from which the loop takes the day's reminder steps (working days only: a step due on a holiday
# goes out on the next working morning).
DUBAN_REMIND_FROM_HOUR = env_int("DUBAN_REMIND_FROM_HOUR", 8)
DUBAN_DELIVERY_MAX_ATTEMPTS = env_int("DUBAN_DELIVERY_MAX_ATTEMPTS", 6)
DUBAN_DELIVERY_BACKOFF_SECONDS = env_int("DUBAN_DELIVERY_BACKOFF_SECONDS", 60)
# Sends wait longer than the far end may take (a sender that gives up first records a failure for a message that
# arrives, and sends it again): SMTP the longest client timeout RFC 5321 (4.5.3.2) recommends, 10 minutes for the
# reply to the end of the data; the group robots document no limit, they answer within seconds. Lanes (the SMTP
# server, each robot) send at once, so a slow one holds only itself; a lane failing this many times in a row rests
# for the breaker's seconds (doubling, at most an hour).
DUBAN_WEBHOOK_TIMEOUT = env_int("DUBAN_WEBHOOK_TIMEOUT", 60)
EMAIL_TIMEOUT = env_int("DUBAN_SMTP_TIMEOUT", 600)
DUBAN_DELIVERY_CONCURRENCY = env_int("DUBAN_DELIVERY_CONCURRENCY", 8)
DUBAN_DELIVERY_BREAKER_FAILURES = env_int("DUBAN_DELIVERY_BREAKER_FAILURES", 3)
DUBAN_DELIVERY_BREAKER_SECONDS = env_int("DUBAN_DELIVERY_BREAKER_SECONDS", 60)
# Person channels (each on only when configured): 企业微信 application messages, 钉钉 work notices, SMS gateway.
DUBAN_WECOM_API_BASE = env("DUBAN_WECOM_API_BASE", "https://qyapi.weixin.qq.com")
DUBAN_WECOM_CORPID = env("DUBAN_WECOM_CORPID", "")
DUBAN_WECOM_SECRET = env("DUBAN_WECOM_SECRET", "")
DUBAN_WECOM_AGENTID = env("DUBAN_WECOM_AGENTID", "")
DUBAN_DINGTALK_API_BASE = env("DUBAN_DINGTALK_API_BASE", "https://oapi.dingtalk.com")
DUBAN_DINGTALK_APPKEY = env("DUBAN_DINGTALK_APPKEY", "")
DUBAN_DINGTALK_APPSECRET = env("DUBAN_DINGTALK_APPSECRET", "")
DUBAN_DINGTALK_AGENTID = env("DUBAN_DINGTALK_AGENTID", "")
DUBAN_SMS_GATEWAY_URL = env("DUBAN_SMS_GATEWAY_URL", "")
DUBAN_SMS_API_KEY = env("DUBAN_SMS_API_KEY", "")
DUBAN_SMS_TEMPLATE_ID = env("DUBAN_SMS_TEMPLATE_ID", "")
# Evaluation rules (考评) before the first version is saved on the 考评规则 page (/reports/score-rules/), which then
# governs: a JSON object or the path of a .toml/.json file (read at start-up); keys as in duban/reports/scoring.py.
# Empty: 100 on time, -2 per overdue working day, -5 per return, 0. Malformed: start-up stops, naming this setting.
DUBAN_SCORE_RULES = env("DUBAN_SCORE_RULES", "")
DUBAN_LEDGER_MAX_ROWS = env_int("DUBAN_LEDGER_MAX_ROWS", 10000)  # a larger .xlsx ledger is refused with a clear error
# The exported ledger's columns, comma-separated, from 序号 任务编号 来源会议/文号 督办事项 督办内容 领域 牵头单位
# 配合单位 时限 状态 亮灯 交办日期 办结日期 最新进展 责任领导/联系人 督办次数 备注 上级任务编号 (empty: all of them, the set a
# 督查室 keeps). 任务编号 is always written: it is what lets an edited export update its tasks on import.
DUBAN_LEDGER_COLUMNS = env("DUBAN_LEDGER_COLUMNS", "")
# Documents (briefing, 督办通知单, 催办单, 督查通报) in the GB/T 9704 layout: the issuing office (发文机关) and the
# code of its document numbers (发文字号 代字, as in 督查〔2024〕3号), a red header (红头) or none, and the 抄送 and
# 印发 lines at the foot (empty 抄送: no line; empty 印发机关: the issuing office).
DUBAN_DOC_ISSUER = env("DUBAN_DOC_ISSUER", "市委督查室")
DUBAN_DOC_NUMBER_CODE = env("DUBAN_DOC_NUMBER_CODE", "督查")
DUBAN_DOC_RED_HEADER = env_bool("DUBAN_DOC_RED_HEADER", False)
DUBAN_DOC_CC = env("DUBAN_DOC_CC", "")
DUBAN_DOC_PRINTED_BY = env("DUBAN_DOC_PRINTED_BY", "")

EMAIL_HOST = env("DUBAN_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("DUBAN_SMTP_PORT", 25)
EMAIL_HOST_USER = env("DUBAN_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env("DUBAN_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DUBAN_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = env("DUBAN_MAIL_FROM", "duban@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DUBAN_LOG_LEVEL", "WARNING")},
}
