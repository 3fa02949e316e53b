"""Settings for the Pharmacy Digital Portal, read from the environment.

With nothing set, the portal runs embedded: SQLite, a Celery broker kept in a folder
(BROKER_FOLDER) for the worker and beat `make run` starts beside the web server, email
printed to the console. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
DJANGO_ENV=production refuses to start without its secrets.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import structlog
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from pharmacy_portal.log_processors import add_request_from_record

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"


def env(name, default=None, *, required_in_production=False):
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required_in_production and PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_ENV=production. "
            "See the Deploying section of README.md."
        )
    return default


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env(
    "SECRET_KEY",
    "development-only-secret-key-not-for-production-use-0123456789abcdef",
    required_in_production=True,
)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = [
    h.strip()
    for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost", required_in_production=True).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# /health/ shows its details to callers sending this in X-Health-Token (monitoring);
# everyone else gets a plain "ok" or "unavailable".
HEALTH_TOKEN = env("HEALTH_TOKEN", "")
# Where emailed links point. `make run HOST=... PORT=...` sets it to the address it serves.
PORTAL_BASE_URL = env(
    "PORTAL_BASE_URL", "http://127.0.0.1:8000", required_in_production=True
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_structlog",
    "health_check",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "nhsmail",
    "smartcards",
    "eps",
    "records",
    # Configuration, and the history of migrations of tables since moved to imports and api.
    "pharmacy_portal",
    # Shared NHS.UK building blocks every app may use.
    "ui",
    # The outbox every task and email goes through (outbox/, docs/decisions/0039-outbox.md).
    "outbox",
    # Cross-area apps: each reads several area apps.
    "dashboard",
    "imports",
    "api",
    "jobs",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pharmacy_portal.middleware.RequestIdMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that touches the database, so a lost database is a 503 page.
    "pharmacy_portal.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionIdleRefreshMiddleware",
    # Binds request id, user and organisation to every log line (accounts.log_context).
    "django_structlog.middlewares.RequestMiddleware",
    "accounts.security.SecurityAuditMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last so it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pharmacy_portal.urls"
WSGI_APPLICATION = "pharmacy_portal.wsgi.application"

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
                "csp.context_processors.nonce",
                "pharmacy_portal.context_processors.navigation",
            ],
            "builtins": ["ui.templatetags.nhsuk", "accounts.templatetags.standing_tags"],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------

DATABASE_URL = env("DATABASE_URL", required_in_production=True)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler pays off for long analytical queries, not for pages: the
    # head-office dashboard's per-premises figures spent 2.3 of 2.7 seconds compiling.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker of `make run` write to one file: a writer waits for
    # the other's transaction (write-ahead log, write lock taken when a transaction
    # begins) instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", required_in_production=True)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ------------------------------------------------------------------------------

# Without REDIS_URL the broker is a folder (kombu's filesystem transport): the web server,
# the worker and beat of `make run` pass tasks through it with no server to install.
# jobs/checks.py says clearly when it cannot be written.
BROKER_FOLDER = Path(env("BROKER_FOLDER", str(BASE_DIR / "var" / "broker")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Tasks are queued for a worker in every mode; tests run them in-process (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# Redis is not a transactional broker: a message a worker took is gone from the queue
# until acknowledged. Acknowledging late, and rejecting when the worker process dies,
# puts a task back if the worker is killed mid-run; every task is idempotent, so a rerun
# is safe. The visibility timeout must exceed the longest task (the nightly compliance
# job over every premises takes minutes), or Redis would hand the same task to a second
# worker while the first still runs it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 60 * 60}
    if REDIS_URL
    else {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "processed_folder": str(BROKER_FOLDER / "processed"),
        "store_processed": False,
        # How often a worker looks in the folder for new messages, in seconds.
        "polling_interval": 0.2,
    }
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = "Europe/London"

# The outbox (outbox/, docs/decisions/0039-outbox.md): every task and email is a row written
# with the change that queues it; beat runs the relay every OUTBOX_RELAY_SECONDS
# (pharmacy_portal/celery.py, with the other schedules).
OUTBOX_BATCH = int(env("OUTBOX_BATCH", "500"))
# A message not run within this time of being queued is marked failed (a mail server
# down for a day needs a person; "Retry" on the outbox page sends it then).
OUTBOX_TTL_SECONDS = int(env("OUTBOX_TTL_SECONDS", str(24 * 60 * 60)))
# Backoff after a failed run: the base doubled for each failure, capped.
OUTBOX_RETRY_BASE_SECONDS = int(env("OUTBOX_RETRY_BASE_SECONDS", "30"))
OUTBOX_RETRY_MAX_SECONDS = int(env("OUTBOX_RETRY_MAX_SECONDS", str(30 * 60)))
OUTBOX_MAX_ATTEMPTS = int(env("OUTBOX_MAX_ATTEMPTS", "30"))
# Handed to the broker this long ago and never started: the broker lost it (a Redis
# restarted without its append-only file); publish it again. Longer than the visibility
# timeout, after which Redis itself hands a task a dead worker took to another.
OUTBOX_REPUBLISH_AFTER_SECONDS = int(env("OUTBOX_REPUBLISH_AFTER_SECONDS", str(2 * 60 * 60)))
OUTBOX_KEEP_DONE_DAYS = int(env("OUTBOX_KEEP_DONE_DAYS", "7"))

# --- Authentication ----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Five wrong passwords for one account lock it for 15 minutes, however the email is typed
# (accounts.lockout keys attempts on the trimmed, case-folded email). Fifty from one client
# address across any accounts lock that address: high, because a pharmacy's staff share
# one connection and must not lock each other out by mistyping.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
LOCKOUT_ADDRESS_FAILURE_LIMIT = int(env("LOCKOUT_ADDRESS_FAILURE_LIMIT", "50"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
# Behind a load balancer the client's address is the last one it appends to
# X-Forwarded-For: set TRUSTED_PROXY_COUNT to the number of proxies in front of the portal.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

OTP_TOTP_ISSUER = "Pharmacy Digital Portal"
INVITATION_VALID_DAYS = 7
# CPPE SCR training older than this shows as due a refresh (a recommendation, never a block).
SCR_TRAINING_REFRESH_MONTHS = int(env("SCR_TRAINING_REFRESH_MONTHS", "24"))
SMARTCARD_RENEWAL_WINDOW_DAYS = 90
SMARTCARD_ESCALATE_AFTER_MINUTES = int(env("SMARTCARD_ESCALATE_AFTER_MINUTES", "30"))

# --- Bulk import and the head-office API ----------------------------------------------

IMPORT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
IMPORT_MAX_ROWS = 200_000
# Files with more rows than this are checked and applied by a Celery worker, with a
# progress bar on the page; smaller ones within the request.
IMPORT_INLINE_MAX_ROWS = int(env("IMPORT_INLINE_MAX_ROWS", "2000"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasApiToken"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_token": env("API_RATE_LIMIT", "600/minute")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pharmacy Digital Portal API",
    "DESCRIPTION": (
        "Read and write a pharmacy group's premises, staff, NHSmail accounts and links, "
        "and read its smartcard requests and EPS token stock and orders. Authenticate with "
        "an organisation's API token: `Authorization: Bearer <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "nhsmail.models.PersonalAccount.Status",
        "ComplianceStatusEnum": ["red", "amber", "green"],
        "TokenStockStatusEnum": ["low", "ok", "unknown"],
    },
}

# --- Sessions and security headers -------------------------------------------------------

# A session ends after 30 minutes without a request: pharmacy PCs are shared.
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_SECONDS", str(30 * 60)))
# The idle expiry slides forward as the session is used, saved at most once a minute
# (accounts.middleware.SessionIdleRefreshMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = int(env("SESSION_REFRESH_SECONDS", "60"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# The portal uses no device features: django-permissions-policy sends them all switched off.
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}

# --- Static files, email, forms ----------------------------------------------------------

STATIC_URL = "/static/"
# Where collectstatic writes (production serves it through whitenoise). Whitenoise reads
# every file there each time the middleware starts, which the test client does per test:
# `make load` collects into its own temporary folder so a load run does not slow the suite.
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("nhsuk", BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# GOV.UK Notify (outbox/notify.py): with NOTIFY_API_KEY set, email goes through Notify's
# email template and text messages (certificate reminders) can be sent.
NOTIFY_API_KEY = env("NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_EMAIL_TEMPLATE_ID = env("NOTIFY_EMAIL_TEMPLATE_ID", "")
NOTIFY_SMS_TEMPLATE_ID = env("NOTIFY_SMS_TEMPLATE_ID", "")
NOTIFY_TIMEOUT_SECONDS = int(env("NOTIFY_TIMEOUT_SECONDS", "10"))
if NOTIFY_API_KEY and not NOTIFY_EMAIL_TEMPLATE_ID:
    raise ImproperlyConfigured(
        "NOTIFY_EMAIL_TEMPLATE_ID must be set with NOTIFY_API_KEY: the Notify email template "
        "whose subject is ((subject)) and body ((body)). See README, Email in production."
    )
# Without Notify: the SMTP relay named by EMAIL_HOST and friends (README), or, with
# nothing set, email printed to the console.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "outbox.notify.NotifyEmailBackend"
    if NOTIFY_API_KEY
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Pharmacy Digital Portal <no-reply@localhost>")

CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"
CRISPY_FAIL_SILENTLY = not DEBUG

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Structured logs (django-structlog): every line from the web process and the Celery
# worker carries request_id (the one on audit events), user_id and organisation. JSON in
# production, key=value lines for people otherwise; LOG_FORMAT=json|console overrides.
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "console")
DJANGO_STRUCTLOG_CELERY_ENABLED = True
_LOG_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    add_request_from_record,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer()
                if LOG_FORMAT == "json"
                else structlog.processors.KeyValueRenderer(
                    key_order=["timestamp", "level", "event", "logger", "request_id"]
                ),
            ],
            "foreign_pre_chain": _LOG_PRE_CHAIN,
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_LOG_PRE_CHAIN,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
