"""artsearch settings: one module, driven by environment variables (see README "Configuration").

Development works with zero configuration: `make run` provides DATABASE_URL and REDIS_URL from embedded servers.
Production sets DJANGO_DEBUG=False, a real DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from gallery.clip.config import DEFAULT_ENCODER
from gallery.clip.config import DEFAULTS as CLIP_DEFAULTS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # never overrides variables that are already set

DEV_SECRET_KEY = "django-insecure-artsearch-development-key-do-not-use-in-production"

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and SECRET_KEY in (None, "", DEV_SECRET_KEY):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG is False.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "django_prometheus",
    "gallery",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first and (but for axes) last: whole-request timing
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database (sessions): where this request reads from (README "Read replicas").
    "artsearch.replicas.ReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (it reads the language chosen there, or the cookie), before CommonMiddleware (redirects).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gallery.errors.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt before the login view sees it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "artsearch.urls"
WSGI_APPLICATION = "artsearch.wsgi.application"

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
                "gallery.context_processors.encoder_status",
            ],
        },
    },
]

# --- Database: PostgreSQL with the pgvector extension (SQLite cannot stand in for vector search).
if not env("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run`, `make test` or `make manage ARGS=...`, which start an embedded "
        "PostgreSQL, or point DATABASE_URL at a PostgreSQL server with pgvector."
    )
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # the same backend, counting queries for /metrics
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = True  # on_commit callbacks fire after the whole request commits
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# libpq waits for a host that went dark as long as TCP does (minutes): requests and /healthz would hang with it.
# A connect_timeout in DATABASE_URL's query string wins.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout",
                                                          env.int("DATABASE_CONNECT_TIMEOUT", default=5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replicas (README "Read replicas"; artsearch/replicas.py): streaming standbys of DATABASE_URL that visitors'
# pages, searches and the API read from; everything else, and a browser that just wrote, reads the primary.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=5)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=2)  # a verdict's lifetime
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=30)  # left alone once down
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=15)
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    _replica = env.db_url_config(_url)
    if "postgresql" not in _replica.get("ENGINE", ""):
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: entry {_number + 1} is not a postgres:// URL.")
    DATABASES[f"replica_{_number}"] = {
        **_replica, "ENGINE": DATABASES["default"]["ENGINE"], "ATOMIC_REQUESTS": False, "CONN_HEALTH_CHECKS": True,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "TEST": {"MIRROR": "default"},  # tests read their own writes: no test database of its own
    }
    # A replica host that went dark costs a request two seconds once per RETRY, not the system's minutes.
    DATABASES[f"replica_{_number}"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
_replica_staleness = DATABASE_REPLICA_MAX_LAG_SECONDS + DATABASE_REPLICA_CHECK_SECONDS
if DATABASE_REPLICA_URLS and DATABASE_REPLICA_PIN_SECONDS <= _replica_staleness:
    # A replica may trail by MAX_LAG, and a check may be CHECK old: a shorter pin would show a writer stale pages.
    raise ImproperlyConfigured("DATABASE_REPLICA_PIN_SECONDS must exceed DATABASE_REPLICA_MAX_LAG_SECONDS + "
                               "DATABASE_REPLICA_CHECK_SECONDS, or a browser that wrote could read a page without it.")
DATABASE_ROUTERS = ["artsearch.replicas.ReplicaRouter"]

# --- Redis: Celery broker and the cache.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {"default": env.cache_url_config(env("DJANGO_CACHE_URL", default=REDIS_URL))}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Fail fast when redis is down: the cache only holds rate-limit counters and paged image queries.
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
# Rendered pieces that many pages share (an artist's entry beside the results, `{% cache %}`), kept in each process: a
# shared cache would cost a round trip a piece. Their keys hold what they show, so nothing there goes stale.
CACHES["template_fragments"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                "LOCATION": "artsearch-template-fragments", "TIMEOUT": 3600,
                                "OPTIONS": {"MAX_ENTRIES": 5000}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # CLIP jobs are long; don't hoard messages another worker could take
# Embedding jobs have a queue of their own: a worker started with `-Q embedding` (beside a GPU, on another machine,
# against the same broker, database and storage) takes only them, one started with `-Q celery` everything else, and
# one started without -Q (`make run`, the compose worker) both (README "Embedding where the compute is").
GALLERY_EMBEDDING_QUEUE = env("GALLERY_EMBEDDING_QUEUE", default="embedding")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue(GALLERY_EMBEDDING_QUEUE))
CELERY_TASK_ROUTES = {"gallery.tasks.artworks_embed": {"queue": GALLERY_EMBEDDING_QUEUE}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when redis is down: fail fast, the sweeper re-enqueues later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Redis gives a message still unacknowledged (acks_late) to another worker after visibility_timeout, so it must outlast
# the longest task (an admin import, 12 h) or that task would run twice at once. A worker that dies is covered
# sooner: reject_on_worker_lost puts its message back, the sweeper its artworks.
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_TASK_PUBLISH_RETRY_POLICY, "visibility_timeout": 13 * 60 * 60}
# Workers refresh a heartbeat in the broker this often; /healthz counts a worker gone after three missed beats.
GALLERY_WORKER_HEARTBEAT_SECONDS = env.int("GALLERY_WORKER_HEARTBEAT_SECONDS", default=10)

# --- Files. Local filesystem by default; Google Cloud Storage when GS_BUCKET_NAME is set (README "Object storage").
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = env("DJANGO_MEDIA_URL", default="/media/")
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=True)  # Django serves local media unless a proxy does
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG  # development serves static/ without collectstatic
GS_BUCKET_NAME = env("GS_BUCKET_NAME", default="")
STORAGE_BACKEND = env("STORAGE_BACKEND", default="gcs" if GS_BUCKET_NAME else "local")
if STORAGE_BACKEND == "local":
    MEDIA_STORAGE = {"BACKEND": "gallery.storage.local.MediaFileSystemStorage"}  # FileSystemStorage, quicker URLs
elif STORAGE_BACKEND == "gcs":
    from google.oauth2 import service_account

    if not GS_BUCKET_NAME:
        raise ImproperlyConfigured("STORAGE_BACKEND=gcs needs GS_BUCKET_NAME.")
    GS_EXPIRATION_SECONDS = env.int("GS_EXPIRATION_SECONDS", default=24 * 60 * 60)  # one day, as the tutorial
    if not 0 < GS_EXPIRATION_SECONDS <= 7 * 24 * 60 * 60:  # Google refuses to sign V4 URLs for longer
        raise ImproperlyConfigured("GS_EXPIRATION_SECONDS must be between 1 and 604800 (seven days).")
    GS_PUBLIC_BUCKET = env.bool("GS_PUBLIC_BUCKET", default=False)  # readable by anyone: plain URLs, no signing
    GS_CREDENTIALS_FILE = env("GS_CREDENTIALS_FILE", default="")
    MEDIA_STORAGE = {
        "BACKEND": "gallery.storage.gcs.CachedSignedUrlStorage",  # django-storages' GCS, reusing signed URLs
        "OPTIONS": {
            "bucket_name": GS_BUCKET_NAME,
            "project_id": env("GS_PROJECT_ID", default="") or None,
            # None: the environment's default credentials (a metadata server cannot sign; see GS_IAM_SIGN_BLOB).
            "credentials": service_account.Credentials.from_service_account_file(GS_CREDENTIALS_FILE)
            if GS_CREDENTIALS_FILE else None,
            "querystring_auth": env.bool("GS_QUERYSTRING_AUTH", default=not GS_PUBLIC_BUCKET),
            "expiration": timedelta(seconds=GS_EXPIRATION_SECONDS),
            "default_acl": env("GS_DEFAULT_ACL", default="") or None,  # e.g. publicRead; None with uniform access
            "custom_endpoint": env("GS_CUSTOM_ENDPOINT", default="") or None,  # base of object URLs, not API calls
            "location": env("GS_LOCATION", default=""),
            "iam_sign_blob": env.bool("GS_IAM_SIGN_BLOB", default=False),
            "sa_email": env("GS_SA_EMAIL", default="") or None,
        },
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or gcs, not {STORAGE_BACKEND!r}.")
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Gallery.
# The CLIP settings' defaults live in gallery/clip/config.py (ClipConfig), the one place every reader takes them from.
GALLERY_ENCODER = env("GALLERY_ENCODER", default=DEFAULT_ENCODER)
CLIP_MODEL = env("CLIP_MODEL", default=CLIP_DEFAULTS.model_name)
CLIP_PRETRAINED = env("CLIP_PRETRAINED", default=CLIP_DEFAULTS.pretrained)  # a tag, a checkpoint file or "untrained"
# Production fails loudly on missing weights; development falls back to untrained ones, with a banner on every page.
CLIP_ON_MISSING_WEIGHTS = env("CLIP_ON_MISSING_WEIGHTS", default="untrained" if DEBUG else "error")
CLIP_PRECISION = env("CLIP_PRECISION", default=CLIP_DEFAULTS.precision)
CLIP_THREADS = env.int("CLIP_THREADS", default=CLIP_DEFAULTS.threads)
CLIP_DEVICE = env("CLIP_DEVICE", default=CLIP_DEFAULTS.device)  # cpu, cuda or auto (README "Embedding where ...")
# Search texts through an int8 copy of the text tower (ONNX Runtime), built on a web process's first query and kept in
# CLIP_CACHE_DIR; its speed and fidelity are in bench/README.md.
CLIP_QUERY_INT8 = env.bool("CLIP_QUERY_INT8", default=CLIP_DEFAULTS.query_int8)
CLIP_CACHE_DIR = env.path("CLIP_CACHE_DIR", default=BASE_DIR / "var" / "clip")
GALLERY_MAX_UPLOAD_BYTES = env.int("GALLERY_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# The most an admin import's zip of images may unpack to on the worker's scratch disk (a zip bomb stops there).
GALLERY_IMPORT_MAX_UNPACKED_BYTES = env.int("GALLERY_IMPORT_MAX_UNPACKED_BYTES", default=10 * 1024**3)
GALLERY_MAX_IMAGE_PIXELS = env.int("GALLERY_MAX_IMAGE_PIXELS", default=50_000_000)
GALLERY_THUMBNAIL_SIZE = env.int("GALLERY_THUMBNAIL_SIZE", default=400)
GALLERY_PAGE_SIZE = env.int("GALLERY_PAGE_SIZE", default=24)
GALLERY_HNSW_EF_SEARCH = env.int("GALLERY_HNSW_EF_SEARCH", default=100)  # recall@10 0.99 at 100k: bench/README.md
# How the vectors are indexed: vector, halfvec or binary (README "Compact vectors"); `manage.py vector_index` applies
# a change. Binary re-ranks RERANK × the rows asked for (at least RERANK_MIN) by the full vectors.
GALLERY_VECTOR_INDEX = env("GALLERY_VECTOR_INDEX", default="halfvec")
GALLERY_VECTOR_RERANK = env.int("GALLERY_VECTOR_RERANK", default=10)
GALLERY_VECTOR_RERANK_MIN = env.int("GALLERY_VECTOR_RERANK_MIN", default=400)
# maintenance_work_mem of `manage.py vector_index`: a build whose graph outgrows it slows down many times over.
GALLERY_INDEX_BUILD_MEMORY = env("GALLERY_INDEX_BUILD_MEMORY", default="1GB")
# Detail search (README "Detail search", measurements in bench/README.md). Regions embedded beside each work, as
# window sizes in fractions of its width and height: 1.0 is the whole work letterboxed (one more encoding for a
# work that is not square); 0.5 adds a 3 × 3 grid of half-size windows, nine more. ORB keypoints kept per work (0:
# none, no verification); how many candidates a picture search checks with them: the works sharing most visual
# words with the picture (found with this HNSW ef_search), and the nearest by vector.
GALLERY_REGION_SCALES = [float(scale) for scale in env.list("GALLERY_REGION_SCALES", default=["1.0"])]
GALLERY_KEYPOINTS = env.int("GALLERY_KEYPOINTS", default=700)
GALLERY_DETAIL_WORDS_SHORTLIST = env.int("GALLERY_DETAIL_WORDS_SHORTLIST", default=32)
GALLERY_DETAIL_WORDS_EF_SEARCH = env.int("GALLERY_DETAIL_WORDS_EF_SEARCH", default=400)
GALLERY_DETAIL_SHORTLIST = env.int("GALLERY_DETAIL_SHORTLIST", default=0)
# The collection map's layout fits UMAP on at most this many works drawn at random and places the others among
# their nearest sampled works (0: every work). At 100k works UMAP on all of them took no longer than on a 20k sample
# and kept neighbourhoods better (bench/README.md), so a sample starts beyond that.
GALLERY_MAP_FIT_SAMPLE = env.int("GALLERY_MAP_FIT_SAMPLE", default=100_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = GALLERY_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security. Production defaults follow DEBUG; each can be overridden.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):  # behind a TLS-terminating proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our pages load nothing but their own CSS and images, and run no script.
CSP_EXTRA_IMG_SRC = env.list("CSP_EXTRA_IMG_SRC", default=[])  # more image origins, e.g. a CDN
if STORAGE_BACKEND == "gcs":  # images come straight from the bucket (or its custom endpoint)
    _endpoint = MEDIA_STORAGE["OPTIONS"]["custom_endpoint"]
    CSP_EXTRA_IMG_SRC.append(_endpoint.rstrip("/") if _endpoint else "https://storage.googleapis.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", *CSP_EXTRA_IMG_SRC],
        # The deep-zoom viewer reads a work's info.json with fetch(), from wherever the media are (a bucket too).
        "connect-src": ["'self'", *CSP_EXTRA_IMG_SRC],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Per-client limits on the public search (django-ratelimit, counted in the redis cache). "N/s|m|h|d".
RATELIMIT_ENABLE = env.bool("GALLERY_RATE_LIMIT_ENABLE", default=True)
GALLERY_RATE_LIMIT_SEARCH = env("GALLERY_RATE_LIMIT_SEARCH", default="60/m")
GALLERY_RATE_LIMIT_UPLOAD = env("GALLERY_RATE_LIMIT_UPLOAD", default="20/m")
RATELIMIT_IP_META_KEY = env("DJANGO_RATELIMIT_IP_META_KEY", default=None)  # behind a proxy: the header it sets
# /metrics (README "Health and metrics"): for clients in these networks, or anywhere with this bearer token.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"])
try:
    METRICS_ALLOWED_NETWORKS = [str(ipaddress.ip_network(network)) for network in METRICS_ALLOWED_NETWORKS]
except ValueError as exc:
    raise ImproperlyConfigured(
        f"METRICS_ALLOWED_NETWORKS: {exc} (networks such as 10.0.0.0/8, comma-separated)") from None
# Probes and scrapes come over plain HTTP from inside the network; everything else is redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# Failed logins (the admin is the way in for curators and for attackers): django-axes counts them per client address
# and per account, in the database; at the limit both are refused until the cool-off ends or `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one alone locks: per client, and per account
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "gallery.ratelimits.client_address"  # the same address the search limits count
AXES_LOCKOUT_TEMPLATE = "login_locked.html"
# pg_dump and pg_restore for `manage.py backup` / `restore`, as new as the server (default: the embedded PostgreSQL's).
GALLERY_PG_BIN_DIR = env("GALLERY_PG_BIN_DIR", default="")
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The interface in English and French (locale/fr); the language comes from the switcher (cookie), else the
# browser's Accept-Language. Searches stay in English: CLIP reads English descriptions.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["artsearch.formats"]  # French with a decimal point: see artsearch/formats/fr/formats.py
# The switcher's choice is kept in a cookie (sessions are for curators): as guarded as the session's.
LANGUAGE_COOKIE_SECURE, LANGUAGE_COOKIE_HTTPONLY, LANGUAGE_COOKIE_SAMESITE = SESSION_COOKIE_SECURE, True, "Lax"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Background jobs: the sweeper re-queues artworks stranded in pending/processing (lost message, killed worker).
GALLERY_STALE_AFTER_SECONDS = env.int("GALLERY_STALE_AFTER_SECONDS", default=15 * 60)
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-artworks": {
        "task": "gallery.tasks.artworks_requeue_stuck",
        "schedule": env.int("GALLERY_SWEEP_INTERVAL_SECONDS", default=5 * 60),
    },
    # The collection map (README "Map of the collection"): laid out again once the searchable works changed and then
    # stayed the same for one interval; works embedded in between are placed by their neighbours.
    "refresh-collection-map": {
        "task": "gallery.tasks.collection_map_refresh",
        "schedule": env.int("GALLERY_MAP_INTERVAL_SECONDS", default=10 * 60),
    },
    # Keyword search's lexicon (gallery/services/keywords.py) gains new words as documents are written; the counts,
    # and the words no document has any more, are brought up to date daily.
    "recount-search-words": {
        "task": "gallery.tasks.search_words_recount",
        "schedule": env.int("GALLERY_SEARCH_WORDS_INTERVAL_SECONDS", default=24 * 60 * 60),
    },
    # Scheduled imports (README "Keeping a collection in sync"): the sources that are due are imported again.
    "start-scheduled-imports": {
        "task": "gallery.tasks.import_schedules_start",
        "schedule": env.int("GALLERY_IMPORT_SCHEDULE_CHECK_SECONDS", default=15 * 60),
    },
}
