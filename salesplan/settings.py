"""Settings for salesplan, read from the environment (django-environ).

With nothing set the app runs on an embedded default: SQLite under ``var/`` and background jobs in a
thread of the web process, so a new user needs nothing but Python. ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch to PostgreSQL and real Celery workers. See README.md, "Configuration".
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SALESPLAN_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A local .env is convenient for development; the real environment always wins.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# Development gets a throwaway key; production must bring its own (Django refuses an empty one).
_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789"  # noqa: S105 (DEBUG only)
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    # Layered bottom-up: salesplan (core) <- accounts <- segmentation <- {accountplans, leads}.
    "salesplan",
    "accounts",
    "segmentation",
    "accountplans",
    "leads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the sign-in page saying why.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesplan.urls"
WSGI_APPLICATION = "salesplan.wsgi.application"

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
                "salesplan.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
_SQLITE_PATH = VAR_DIR / "salesplan.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{_SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the page read a job's progress while the in-process job thread writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    if DATABASES["default"]["NAME"] == str(_SQLITE_PATH):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (choice lists, counts): per process by default; CACHE_URL=redis://… shares it -----------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Background jobs ------------------------------------------------------------------------------
# "celery": a broker and separate workers; "thread": in the web process (embedded default);
# "sync": inside the request, after commit (tests).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
JOBS_BACKEND = env.str("JOBS_BACKEND", default="celery" if CELERY_BROKER_URL else "thread")
if JOBS_BACKEND not in {"celery", "thread", "sync"}:
    raise ImproperlyConfigured(f"JOBS_BACKEND must be celery, thread or sync, not {JOBS_BACKEND!r}.")
if JOBS_BACKEND == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("JOBS_BACKEND=celery needs CELERY_BROKER_URL (for example redis://127.0.0.1:6379/0).")
CELERY_RESULT_BACKEND = None  # progress and results live in JobRun rows, not in Celery's backend
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="salesplan")
CELERY_TASK_SOFT_TIME_LIMIT = env.int("JOB_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A running job's worker writes a heartbeat every quarter of this (on a connection of its own, so a long
# statement does not hold it back); a job whose heartbeat is older is taken as lost (worker killed,
# server restarted): marked interrupted and its leftovers removed (salesplan/services/jobs.py).
JOBS_HEARTBEAT_TIMEOUT_SECONDS = env.int("JOBS_HEARTBEAT_TIMEOUT_SECONDS", default=60)
if JOBS_HEARTBEAT_TIMEOUT_SECONDS < 2:
    raise ImproperlyConfigured("JOBS_HEARTBEAT_TIMEOUT_SECONDS must be at least 2 (seconds).")
JOBS_HEARTBEAT_INTERVAL_SECONDS = JOBS_HEARTBEAT_TIMEOUT_SECONDS / 4
# A queued job no worker has taken up for this long is taken as lost too (its message left with a dead
# worker, or the broker lost it). Jobs can wait behind others, so this is long.
JOB_STALE_AFTER_SECONDS = CELERY_TASK_TIME_LIMIT
# With acks_late, Redis hands an unacknowledged task out again after this many seconds. A job is claimed
# by the one attempt token its message carries, and only while queued, so a second delivery of a job
# that started (or ended) does nothing: this only decides how soon a job whose worker died before
# starting it is picked up again, and stays below JOB_STALE_AFTER_SECONDS so it is, before it is given up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=10 * 60)}
# Seconds the chain that brings derived results up to date waits after a change, so a burst of changes
# (a rep answering question after question) shares one run. A leader's "Bring up to date" starts at once.
REFRESH_DELAY_SECONDS = env.int("REFRESH_DELAY_SECONDS", default=10)

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "salesplan.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed sign-ins are throttled (django-axes; salesplan.services.logins says how): AXES_FAILURE_LIMIT for
# one username from one address, LOGIN_ADDRESS_FAILURE_LIMIT from one address whatever the usernames, both
# over LOGIN_LOCKOUT_MINUTES after the last failure. Signing in forgives only that username's failures from
# that address (AXES_RESET_ON_SUCCESS would wipe the address's, letting a guesser reset them at will).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "salesplan.services.logins.LoginThrottle"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
if not 0 < AXES_FAILURE_LIMIT <= LOGIN_ADDRESS_FAILURE_LIMIT:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT must be at least 1 and at most LOGIN_ADDRESS_FAILURE_LIMIT.")
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_LOCKOUT_CALLABLE = "salesplan.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "salesplan.services.logins.client_ip"
# Each failure and lock-out is logged (WARNING, logger "axes") with the username and the address, never
# the password; without the start-up banner and the per-request chatter (AXES_VERBOSE).
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy: say how many proxies append X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail: only for password reset. Without EMAIL_URL no mail is sent and the sign-in page offers no
# reset: a sales leader sets a new password on the person's page instead (see README, "Signing in").
EMAIL_URL = env.str("EMAIL_URL", default="")  # smtp+tls://user:password@mail.example.com:587, consolemail://
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
PASSWORD_RESET_BY_EMAIL = bool(EMAIL_URL)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="salesplan <webmaster@localhost>")

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise; every front-end library is vendored under static/vendor) ------------
STATIC_URL = "static/"
# plotly.js is served from the pinned plotly package itself rather than a vendored copy.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/plotly", Path(importlib.util.find_spec("plotly").origin).parent / "package_data"),
]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
if DEBUG:
    # Whitenoise serves from the finders while developing; it only wants the folder to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploads: files past IMPORT_MAX_UPLOAD_BYTES are cut off while they arrive; anything bigger than
# FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to disk rather than held in memory.
FILE_UPLOAD_HANDLERS = [
    "salesplan.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Every page says what it may load and run: only this site's own files, no inline script, no eval. The
# pages pass data to scripts as JSON data blocks (json_script) and wire behaviour in static/js/app.js.
# Styles allow 'unsafe-inline' for style="" attributes (templates, and those plotly.js sets as it draws);
# scripts never do. Bootstrap draws small icons (select arrows, close buttons) as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # runserver prints these itself; logging them again doubles every line.
        "django.utils.autoreload": {"level": "WARNING"},
        # Failed sign-ins and lock-outs are warnings; the handler's INFO lines are its bookkeeping.
        "axes": {"level": "WARNING"},
    },
}

# Who is shown as demo logins on the sign-in page (only while DEBUG is on and demo users exist).
DEMO_PASSWORD = "salesplan-demo"  # noqa: S105 (demo users only)

# --- Imports --------------------------------------------------------------------------------------
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=200_000_000)  # 200 MB, as the upload page says
# An XLSX is a zip: refuse one that would expand past this (a "zip bomb").
IMPORT_MAX_XLSX_EXPANDED_BYTES = env.int("IMPORT_MAX_XLSX_EXPANDED_BYTES", default=1024 * 1024 * 1024)
# A workbook whose sheet and text expand to at most this is read during the upload (well under a second);
# a bigger one is read by a background job while the page shows its progress.
IMPORT_XLSX_READ_INLINE_BYTES = env.int("IMPORT_XLSX_READ_INLINE_BYTES", default=4 * 1024 * 1024)
# The widest file an import takes: the mapping screen has one choice per column. The staging table has a
# column per file column, and PostgreSQL allows 1,600 in a table.
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=500)
if not 1 <= IMPORT_MAX_COLUMNS <= 1500:
    raise ImproperlyConfigured(f"IMPORT_MAX_COLUMNS must be between 1 and 1500, not {IMPORT_MAX_COLUMNS}.")
# The mapping form posts one field per column plus a dozen others; Django refuses more than this many
# fields with a bare "400 Bad Request".
DATA_UPLOAD_MAX_NUMBER_FIELDS = max(1000, IMPORT_MAX_COLUMNS + 100)
# Exports larger than this many rows run as a background job and are downloaded when ready.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=50_000)
