"""Every setting of duban, read from the environment (``DUBAN_*`` and ``DATABASE_URL``).

Defaults suit a laptop on 127.0.0.1. With ``DUBAN_DEBUG=0`` a missing secret key or host list stops start-up,
so a production misconfiguration fails loudly instead of quietly. ``.env.example`` lists every variable.
"""

from __future__ import annotations

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


DEBUG = env_bool("DUBAN_DEBUG", True)
DATA_DIR = Path(env("DUBAN_DATA_DIR", str(REPO_DIR / "var")))
# The SQLite file, backups and attachments live here; SQLite cannot create the folder itself.
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("DUBAN_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DUBAN_SECRET_KEY must be set when DUBAN_DEBUG is off")
    SECRET_KEY = "duban-insecure-development-key-change-me-0123456789"

ALLOWED_HOSTS = [h for h in (env("DUBAN_ALLOWED_HOSTS", "") or "").split(",") if h]
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("DUBAN_ALLOWED_HOSTS must be set when DUBAN_DEBUG is off")
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "duban.core.middleware.SecurityHeadersMiddleware",
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
        cache_kib = env_int("DUBAN_SQLITE_CACHE_MB", 16) * 1024
        config["OPTIONS"] = {
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                             f"PRAGMA cache_size=-{cache_kib};"),
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("DUBAN_SQLITE_TIMEOUT", 30),
        }
        config["TEST"] = {"NAME": env("DUBAN_TEST_SQLITE", None)}
    return config


DATABASES = {"default": _database_from_url(env("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "duban.core.backends.ProfileModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "duban.core.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# 等保三级: lock an account after five failures; a session dies after 30 idle minutes.
AXES_FAILURE_LIMIT = env_int("DUBAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("DUBAN_LOGIN_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lock the account, not the address: a county office sits behind one NAT address, and locking it would lock
# everyone out because of one mistyped password.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
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
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
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
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DUBAN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DUBAN_MAX_UPLOAD_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
DUBAN_UNITS_FILE = env("DUBAN_UNITS_FILE")  # a 职责清单 TOML replacing the built-in one
DUBAN_ATTACHMENT_MAX_BYTES = env_int("DUBAN_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)  # photos of hazards etc.
# Follow-up (duban.followup): blue light N working days ahead; yellow when progress trails the elapsed share of
# time by more than the tolerance (percentage points); the scheduler's period; delivery retries back off
# base, 2*base, 4*base ... seconds and give up (dead) after the maximum number of attempts.
DUBAN_REMIND_DAYS = env_int("DUBAN_REMIND_DAYS", 3)
DUBAN_PROGRESS_TOLERANCE = env_int("DUBAN_PROGRESS_TOLERANCE", 20)
DUBAN_SCHEDULER_INTERVAL = env_int("DUBAN_SCHEDULER_INTERVAL", 60)
DUBAN_DELIVERY_MAX_ATTEMPTS = env_int("DUBAN_DELIVERY_MAX_ATTEMPTS", 6)
DUBAN_DELIVERY_BACKOFF_SECONDS = env_int("DUBAN_DELIVERY_BACKOFF_SECONDS", 60)
DUBAN_WEBHOOK_TIMEOUT = env_int("DUBAN_WEBHOOK_TIMEOUT", 10)
EMAIL_TIMEOUT = env_int("DUBAN_SMTP_TIMEOUT", 10)
# Evaluation rules (考评): a JSON object or the path of a .toml/.json file; keys on_time, per_overdue_workday,
# per_return, floor (see duban/reports/scoring.py). Empty: 100 on time, -2 per overdue working day, -5 per return, 0.
DUBAN_SCORE_RULES = env("DUBAN_SCORE_RULES", "")
DUBAN_LEDGER_MAX_ROWS = env_int("DUBAN_LEDGER_MAX_ROWS", 10000)  # a larger .xlsx ledger is refused with a clear error

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
