"""DICAS Portal settings: one module, driven by environment variables.

With no variable set the portal runs embedded: SQLite, Celery tasks in-process,
e-mail to the console, DEBUG on. `DJANGO_DEBUG=false` switches to production, where
the variables that have no safe default must be given (start-up names the missing one).
"""

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dicas_portal.safety import DEVELOPMENT_SECRET_KEY, production_problems
from participants.sso_config import ProviderConfigurationError, socialaccount_apps

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

## CORE

DEBUG = env.bool("DJANGO_DEBUG", default=True)
PRODUCTION = not DEBUG

if PRODUCTION:
    # No default: a production portal must never run on a key from the repository.
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The proxies whose X-Forwarded-For is believed (dicas_portal/client_address.py): addresses
# or CIDR networks, comma-separated, e.g. "127.0.0.1,10.20.0.0/16". None by default: the
# client's address is then the peer's (REMOTE_ADDR).
TRUSTED_PROXIES = [entry.strip() for entry in env.list("TRUSTED_PROXIES", default=[]) if entry.strip()]
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # allauth's list of security keys says "3 days ago" with it.
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "simple_history",
    "participants",
    "forums",
    "working_groups",
    "notifications",
    "audit",
    # Backups and restores, and the lock that keeps periodic tasks from running twice.
    "operations",
    # The project's own management commands (preflight).
    "dicas_portal",
]

MIDDLEWARE = [
    # The client's address (X-Forwarded-For only from TRUSTED_PROXIES), before anything reads it.
    "dicas_portal.client_address.ClientAddressMiddleware",
    # The request id, one log line and the metrics of each request (it needs the address
    # above to know whether an incoming X-Request-ID comes from a trusted proxy).
    "dicas_portal.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dicas_portal.security.SecurityHeadersMiddleware",
    # Who did what from which address: the audit record reads the request's address here.
    "audit.middleware.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware, with the signed-in person's account and profile kept
    # in the process's memory rather than queried on every page.
    "forums.cache.SignedInUserMiddleware",
    "participants.middleware.ViewerPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in lasts 8 hours at most, 30 idle minutes for the secretariat; checked before
    # anything else a signed-in person reaches.
    "participants.sessions.SessionLifetimeMiddleware",
    "participants.onboarding.ProfileStepMiddleware",
    # After the profile step: officials, co-chairs and the secretariat set up MFA first.
    "participants.mfa.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "dicas_portal.urls"
WSGI_APPLICATION = "dicas_portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "participants.context_processors.viewer",
            ],
        },
    },
]

## DATABASE

# An empty variable counts as unset, so `DATABASE_URL= make run` means "embedded".
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

## CACHE

# Shared by every web process when set (Redis: `redis://host:6379/1`): rendered fragments
# of pages (forums/cache.py) and allauth's rate-limit counters. Without it each process
# keeps its own cache in memory.
CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_CACHE_URL", default="")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a Redis URL such as redis://127.0.0.1:6379/1")
    CACHES = {
        "default": {
            "BACKEND": "dicas_portal.redis_cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "dicas",
            "TIMEOUT": 3600,
            # A cache that does not answer quickly is skipped (forums/cache.py renders instead).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "dicas-portal",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
    }
if CACHE_URL:
    # Every page reads the session: from the shared cache, written through to the database
    # (signing out deletes both). Never with a cache of each process's own, which another
    # process would not see emptied. Django's cached_db, read in the same round trip as the
    # generations of cached fragments (forums/cache.py).
    SESSION_ENGINE = "dicas_portal.session_store"
# Rendered fragments of pages (forums/cache.py) are invalidated through the cache itself,
# so every process must share it: without CACHE_URL a production portal (several
# processes) caches no fragment rather than serve one another process knows is stale.
CACHES["fragments"] = (
    CACHES["default"] if CACHE_URL or DEBUG else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
)
# The page frame (base.html) around the content: the same for everyone of a language,
# time zone and kind of account, and changed only by a new release. Each process keeps its own.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "dicas-portal-local",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# A copy, in each process, of the fragments most asked for, checked against the shared
# generations on every request (forums/cache.py): at most 300 of at most 96 kB each.
CACHES["fragments_local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "dicas-portal-fragments-local",
    "OPTIONS": {"MAX_ENTRIES": 300},
}

# The account rows and profiles of people signed in (forums.cache.SignedInUserMiddleware),
# in each process only: they hold password hashes, which the shared cache never does.
CACHES["signed_in_local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "dicas-portal-signed-in-local",
    # Two entries a person (their account, and whom their session names): about 2 kB.
    "OPTIONS": {"MAX_ENTRIES": 4000},
}

## ACCOUNTS

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# Sign-up makes an industry representative with a profile to complete (participants/adapters.py).
ACCOUNT_ADAPTER = "participants.adapters.PortalAccountAdapter"
# Sign up, confirm the address, fill in the profile: one sitting, no second sign-in.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# The account e-mails carry the portal's name in their subjects (the adapter's
# format_email_subject), never allauth's default of the host and port they were asked from.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
LOGIN_REDIRECT_URL = "forums:home"
# allauth's rate limits (counted in the cache, per client address as
# dicas_portal/client_address.py finds it): the 6th wrong password, or authenticator code,
# for one account within a minute is refused, whatever the addresses, and so are floods of
# sign-ups and password-reset requests. Sign-ins as such are not limited per address (a
# ministry's NAT or the venue's Wi-Fi is one address for everyone): only failures are,
# below, and a right password does not count.
ACCOUNT_RATE_LIMITS = {
    "login": "",
    "login_failed": "5/m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# Failed sign-ins (wrong passwords) counted per client address (participants/adapters.py):
# once an address reaches one of these, its sign-ins are refused until the window passes.
# Generous, as many colleagues share an address; guessing at many accounts is stopped.
PORTAL_SIGN_IN_FAILURES_PER_ADDRESS = env.str("PORTAL_SIGN_IN_FAILURES_PER_ADDRESS", default="60/m,600/h")
if not re.fullmatch(r"\s*\d+/\d*[smhd]\s*(,\s*\d+/\d*[smhd]\s*)*", PORTAL_SIGN_IN_FAILURES_PER_ADDRESS):
    raise ImproperlyConfigured(
        f"PORTAL_SIGN_IN_FAILURES_PER_ADDRESS must be rates such as 60/m,600/h, not {PORTAL_SIGN_IN_FAILURES_PER_ADDRESS!r}"
    )
# Multi-factor sign-in: an authenticator app (TOTP), security keys and passkeys (WebAuthn)
# and recovery codes. Required for officials, co-chairs, the secretariat and administrators
# (participants/mfa.py), optional for industry.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "DICAS Portal"
# A passkey (a key that knows its account and checks a PIN or fingerprint) signs in alone.
MFA_PASSKEY_LOGIN_ENABLED = True
# Browsers hold WebAuthn to HTTPS, except on http://localhost: development only (the relying
# party is PORTAL_BASE_URL's host, participants.adapters.PortalMFAAdapter).
# MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: see START-UP CHECKS (development only).
# Officials, co-chairs, the secretariat and administrators must have a WebAuthn factor (a
# security key or passkey), not only an authenticator app: phishing-resistant MFA, as
# OMB M-22-09 asks of US federal staff.
PORTAL_PHISHING_RESISTANT_MFA = env.bool("PORTAL_PHISHING_RESISTANT_MFA", default=False)
# Secrets encrypted at rest (participants/mfa_secrets.py) and the portal's rules around MFA.
MFA_ADAPTER = "participants.adapters.PortalMFAAdapter"
MFA_FORMS = {
    "authenticate": "participants.mfa_forms.PortalAuthenticateForm",
    "reauthenticate": "participants.mfa_forms.PortalReauthenticateForm",
}
# The key that encrypts TOTP secrets; derived from SECRET_KEY when unset. Old keys in the
# fallbacks still decrypt, so the key can be rotated.
MFA_ENCRYPTION_KEY = env.str("MFA_ENCRYPTION_KEY", default="")
MFA_ENCRYPTION_KEY_FALLBACKS = env.list("MFA_ENCRYPTION_KEY_FALLBACKS", default=[])
# The link that lets someone without a second factor set one up works once, this long.
MFA_ENROLMENT_LINK_MAX_AGE_HOURS = env.int("MFA_ENROLMENT_LINK_MAX_AGE_HOURS", default=24)
# Invitation links (participants/invitations.py) work this many days, once.
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
LOGIN_URL = "account_login"

## AGENCY SIGN-IN (OpenID Connect)

# One or more identity providers (an agency's, Login.gov, gBizID), as a JSON list in
# PORTAL_OIDC_PROVIDERS (participants/sso_config.py says the fields). participants/sso.py
# adds the nonce, the full ID-token check, linking by verified address only and the
# reading of amr/acr that allauth's provider lacks.
try:
    _oidc_apps = socialaccount_apps(env.str("PORTAL_OIDC_PROVIDERS", default=""))
except ProviderConfigurationError as error:
    raise ImproperlyConfigured(str(error)) from None
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "participants.sso.PortalOpenIDConnectProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": _oidc_apps,
    },
}
SOCIALACCOUNT_ADAPTER = "participants.sso.PortalSocialAccountAdapter"
# Linking by address is decided by the adapter: both sides must have verified it.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = True
# Starting a sign-in is a POST (with its CSRF token), never a link someone can be sent.
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "oidc"

## INTERNATIONALISATION

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The zones the portal offers first; any IANA zone is accepted.
PORTAL_DEFAULT_VIEWER_TIME_ZONE = "Asia/Tokyo"

## STATIC AND MEDIA FILES

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# /favicon.ico and any other file browsers ask for at the root of the site.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Papers are served only through permission-checked views, never from a public URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Largest paper the secretariat may upload, in bytes (25 MB unless set).
PAPERS_MAX_UPLOAD_BYTES = env.int("PAPERS_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
# Largest an Office or OpenDocument paper (a zip) may unpack to: a "zip bomb" of a few
# kilobytes would otherwise inflate to gigabytes when its content is checked.
PAPERS_MAX_UNPACKED_BYTES = env.int("PAPERS_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024)
# Where papers are kept, for every web and worker machine alike: a folder (MEDIA_ROOT; on
# several machines a shared filesystem such as NFS mounted at the same path on each), or an
# S3-compatible object store through django-storages (`pip install django-storages[s3]`,
# not installed by default). Papers are always streamed through the permission-checked
# views, never linked to the store: the bucket stays private.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    MEDIA_STORAGE_CONFIG = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE == "filesystem":
    MEDIA_STORAGE_CONFIG = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}")
STORAGES = {
    "default": MEDIA_STORAGE_CONFIG,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

## BACKUPS

# `manage.py backup` writes its encrypted archives here (operations/backup.py); keep the
# folder on another machine or disk than the database.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default="") or BASE_DIR / "backups")
# A Fernet key (`manage.py backup --generate-key`): 32 random bytes, URL-safe base64. Every
# archive is encrypted with it (AES-256-GCM); keep it apart from the archives.
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default="")
# `manage.py backup --prune` (and the periodic backup) deletes archives older than this.
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=30)
# Beat runs a backup (and prunes) every so many hours; 0: only when cron or a person runs it.
BACKUP_EVERY_HOURS = env.float("BACKUP_EVERY_HOURS", default=0.0)
# Everyone whose personal data was erased (dicas_portal/erasure_ledger.py): outside the
# database, so that a restore of an older backup erases them again.
PERSONAL_DATA_ERASURE_LEDGER = Path(
    env.str("PERSONAL_DATA_ERASURE_LEDGER", default="") or BACKUP_DIR / "erasure-ledger.jsonl"
)

## E-MAIL

EMAIL_CONFIG = env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DICAS Portal <no-reply@dicas-portal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

## CELERY

# Without a broker the tasks run in-process, so the embedded portal needs no service.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only once done, and given back if its worker dies mid-way:
# the outbox makes re-running a task harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
CELERY_TIMEZONE = "UTC"
# kombu's Redis transport with the fix that keeps a worker running through a broker
# restart (dicas_portal/broker.py). Named only for redis://: the transport's name is what
# makes kombu speak TLS for rediss://, which keeps kombu's own (and the bug).
if CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "dicas_portal.broker:Transport"

## NOTIFICATIONS

# E-mails are written by the worker, which has no request to take the host from. Production
# must name it (START-UP CHECKS); on a developer's machine it is the address `manage.py
# runserver` serves (PORTAL_SERVED_URL, dicas_portal/serving.py), so that `make run PORT=8123`
# links to :8123. localhost, not 127.0.0.1: browsers refuse an IP address as a WebAuthn
# relying party.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="") or env.str("PORTAL_SERVED_URL", default="http://localhost:8000/")
# The domain after "@" in every calendar UID and Message-ID the portal writes. Calendar and
# mail programs take an identifier to be unique in the world: two installations must not
# share one, so it is this installation's own host unless told otherwise.
PORTAL_UID_DOMAIN = env.str("PORTAL_UID_DOMAIN", default=urlsplit(PORTAL_BASE_URL).hostname or "localhost")
PORTAL_MAIL_DOMAIN = env.str("PORTAL_MAIL_DOMAIN", default=PORTAL_UID_DOMAIN)
# The ORGANIZER of every invitation: attendees' calendar programs send their answers
# (accept, decline) there, so it must be a mailbox the secretariat reads, not no-reply.
PORTAL_SECRETARIAT_EMAIL = env.str("PORTAL_SECRETARIAT_EMAIL", default="secretariat@dicas-portal.example")
# Deliveries claimed and sent over one SMTP connection at a time.
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=200)
# After a temporary refusal: wait base, 2×base, 4×base… (capped), give up after so many attempts.
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60.0)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=6 * 3600.0)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=10)
# A claimed delivery not sent within this time belongs to a dead worker; the sweep takes it back.
# Longer than CELERY_TASK_TIME_LIMIT, so a live worker has always finished or been stopped.
NOTIFICATIONS_SENDING_LEASE_SECONDS = env.float("NOTIFICATIONS_SENDING_LEASE_SECONDS", default=600.0)
# The sweep leaves alone what is younger than this: a live worker is about to do it.
NOTIFICATIONS_SWEEP_AFTER_SECONDS = env.float("NOTIFICATIONS_SWEEP_AFTER_SECONDS", default=60.0)
# Each worker process stamps its heartbeat this often (notifications/heartbeat.py); one
# silent for NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS is dead, and the sweep takes back its
# claimed deliveries without waiting for the lease.
NOTIFICATIONS_WORKER_HEARTBEAT_SECONDS = env.float("NOTIFICATIONS_WORKER_HEARTBEAT_SECONDS", default=10.0)
NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS = env.float("NOTIFICATIONS_WORKER_DEAD_AFTER_SECONDS", default=30.0)
# /healthz answers 503 when no worker's heartbeat is younger than this.
HEALTH_WORKER_MAX_AGE_SECONDS = env.float("HEALTH_WORKER_MAX_AGE_SECONDS", default=120.0)
NOTIFICATIONS_SMTP_TIMEOUT = env.float("NOTIFICATIONS_SMTP_TIMEOUT", default=30.0)
NOTIFICATIONS_REMINDER_HOURS = env.int("NOTIFICATIONS_REMINDER_HOURS", default=24)
# A change to a meeting (time, place, postponed, cancelled) is told this long after it is
# saved, and a newer change made meanwhile takes its place: several quick edits make one
# e-mail, the last. 0 tells each change at once.
NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS = env.float("NOTIFICATIONS_MEETING_CHANGE_HOLD_SECONDS", default=120.0)
# An unsubscribe link works once, and at most this long (notifications/unsubscribe_keys.py).
NOTIFICATIONS_UNSUBSCRIBE_KEY_DAYS = env.int("NOTIFICATIONS_UNSUBSCRIBE_KEY_DAYS", default=365)

## SECURITY

SESSION_COOKIE_HTTPONLY = True
# The CSRF token is read from the form, never from the cookie by script.
CSRF_COOKIE_HTTPONLY = True
# A sign-in lasts 8 hours however busy the person is; the secretariat, who can change
# everything, is signed out after 30 idle minutes (participants/sessions.py).
PORTAL_SESSION_MAX_SECONDS = env.int("PORTAL_SESSION_MAX_SECONDS", default=8 * 60 * 60)
PORTAL_SECRETARIAT_IDLE_SECONDS = env.int("PORTAL_SECRETARIAT_IDLE_SECONDS", default=30 * 60)
# The store keeps a session a few minutes beyond those limits, so that the portal itself
# ends it at the next request: it then says why and records it in the audit record.
PORTAL_SESSION_GRACE_SECONDS = 5 * 60
SESSION_COOKIE_AGE = PORTAL_SESSION_MAX_SECONDS + PORTAL_SESSION_GRACE_SECONDS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

## START-UP CHECKS

# Security keys over plain http: only ever for `make run` on localhost (production refuses it).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG)
if PRODUCTION:
    _problems = production_problems(
        environment=env.ENVIRON,
        secret_key=SECRET_KEY,
        debug=DEBUG,
        broker_url=env.str("CELERY_BROKER_URL", default=""),
        email_backend=EMAIL_CONFIG.get("EMAIL_BACKEND", ""),
        base_url=env.str("PORTAL_BASE_URL", default=""),
        webauthn_allow_insecure_origin=MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN,
        oidc_issuers=tuple(app["settings"]["issuer"] for app in _oidc_apps),
    )
    if _problems:
        raise ImproperlyConfigured(
            "DICAS Portal will not start in production (DJANGO_DEBUG=false) with these settings:\n- "
            + "\n- ".join(_problems)
        )

## LOGGING

# One JSON object per line in production (or with LOG_FORMAT=json), readable text in the
# embedded portal; every line carries the request id, the person's id, the view, or the
# worker's dispatch and delivery ids when there are some (dicas_portal/log_context.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "dicas_portal.log_context.ContextFilter"}},
    "formatters": {
        "json": {"()": "dicas_portal.log_context.JsonFormatter"},
        "text": {"()": "dicas_portal.log_context.TextFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Through the portal's handler only: Django's default one writes plain text while DEBUG is on.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Its lines are the request lines of dicas_portal.requests, without the ids.
        "django.server": {"level": "WARNING"},
    },
}
# The worker and beat write through the same handler, not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

## METRICS

# /metrics (dicas_portal/metrics.py) answers only to "Authorization: Bearer <METRICS_TOKEN>",
# and 404 while it is not set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
