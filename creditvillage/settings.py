"""CreditVillage settings, configured from the environment.

Every knob is a ``CV_*`` environment variable with a safe default, so that
``git clone && make run`` works on the embedded SQLite database and the same code
runs on PostgreSQL by setting ``CV_DATABASE_URL``.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CV_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _secret_key() -> str:
    """CV_SECRET_KEY, else a key generated once and kept in var/ (never committed)."""
    if key := os.environ.get("CV_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database_from_url(url: str) -> dict[str, object]:
    """Parse ``sqlite:///path`` or ``postgresql://user:pass@host:port/name?host=/socket/dir``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        name = unquote(parsed.path[1:] if parsed.path.startswith("//") else parsed.path.lstrip("/"))
        if parsed.path.startswith("//"):
            name = "/" + name.lstrip("/")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or str(VAR_DIR / "creditvillage.sqlite3"),
            "OPTIONS": {
                # Writers queue on the database lock instead of failing (Healthchecks' recipe).
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        query = parse_qs(parsed.query)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "creditvillage",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": query.get("host", [parsed.hostname or ""])[0],
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": envint("CV_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    raise ValueError(f"CV_DATABASE_URL: unsupported scheme {parsed.scheme!r}")


DEBUG = envbool("CV_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("CV_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CV_CSRF_TRUSTED_ORIGINS", "")

DATABASES = {
    "default": database_from_url(os.environ.get("CV_DATABASE_URL", f"sqlite:///{VAR_DIR / 'creditvillage.sqlite3'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "creditvillage.core",
    "creditvillage.regions",
    "creditvillage.accounts",
    "creditvillage.registry",
    "creditvillage.collection",
    "creditvillage.civility",
    "creditvillage.scoring",
    "creditvillage.rating",
    "creditvillage.lending",
    "creditvillage.merchants",
    "creditvillage.dashboards",
    "creditvillage.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "creditvillage.core.i18n.ChineseFirstLocaleMiddleware",  # Chinese unless chosen (ADR 0008)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "creditvillage.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "creditvillage.urls"
WSGI_APPLICATION = "creditvillage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "creditvillage" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "creditvillage.accounts.context.roles",
            ],
            "builtins": ["creditvillage.core.templatetags.cv"],
        },
    }
]

# --- Accounts, passwords, lockout, sessions -------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: refuses locked-out usernames
    # ModelBackend plus a per-username reservation before the password check, so a concurrent
    # burst cannot get more than AXES_FAILURE_LIMIT guesses in (reliability.md C8).
    "creditvillage.accounts.lockout.ThrottledModelBackend",
]
# pytest-django loads settings before the root conftest can set CV_TESTING, so detect pytest too.
TESTING = envbool("CV_TESTING") or "pytest" in sys.modules
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:  # Argon2 is deliberately slow; tests that check hashing opt back in.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock a username after 5 failures for 15 minutes. Keyed on the username (not the IP) because
# a whole village can sit behind one carrier NAT address; a short cool-off limits the cost of
# an attacker locking an official out (reliability.md, rate limiting).
AXES_FAILURE_LIMIT = envint("CV_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("CV_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# axes.W006 asks for the IP in the lockout key. We key on the username alone on purpose (see
# above); per-IP rate limiting belongs to the proxy (nginx limit_req, docs/deploy.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sliding idle timeout (every request renews the cookie) plus an absolute cap enforced by
# SessionTimeoutMiddleware (reliability.md C10).
SESSION_COOKIE_AGE = envint("CV_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = envint("CV_SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("CV_SECURE_COOKIES")
CSRF_COOKIE_SECURE = envbool("CV_SECURE_COOKIES")
API_TOKEN_TTL = timedelta(hours=envint("CV_API_TOKEN_HOURS", 8))

# Behind a TLS-terminating proxy (nginx, docs/deploy.md): trust its X-Forwarded-Proto and send HSTS.
if envbool("CV_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("CV_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("CV_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Language, time, money ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "creditvillage" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
STATICFILES_DIRS = [BASE_DIR / "creditvillage" / "static"]
WHITENOISE_USE_FINDERS = not envbool("CV_STATIC_MANIFEST")  # serve from apps' static dirs until collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("CV_STATIC_MANIFEST")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Background tasks (django-tasks + its database backend) ---------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "CV_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend",
        ),
    }
}

# Daily jobs (creditvillage/core/schedule.py): name → callable(today=date), run in this order once a
# day by ``creditvillage clock`` (started by ``serve``) or ``creditvillage daily`` (cron). Overdue
# loans first: a default downgrades the rating that the negative-list expiry may then re-score.
DAILY_JOBS = {
    "lending.overdue": "creditvillage.lending.loans.loans_refresh_overdue",
    "rating.adjust": "creditvillage.rating.adjust.tasks.run_daily",
}

# Objections from a notice's public page (no login): per mobile number per notice, and per notice
# per hour. The village records further objections in person (rating/services.py).
CV_PUBLIC_OBJECTIONS_PER_PHONE = envint("CV_PUBLIC_OBJECTIONS_PER_PHONE", 5)
CV_PUBLIC_OBJECTIONS_PER_HOUR = envint("CV_PUBLIC_OBJECTIONS_PER_HOUR", 30)

# --- API ----------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

# --- Logging: structured enough to grep, and never personal data (reliability.md C12) -------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "creditvillage.core.logging.RedactPIIFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_pii"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CV_LOG_LEVEL", "INFO")},
    "loggers": {
        # Drop Django's default handlers (an unfiltered DEBUG console, mail_admins with request
        # data and frame locals): every record goes through the redacting root handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
