"""Settings for `manage.py bench`: production settings (DEBUG off, no query logging) reachable by the test client."""

from crm.settings_test import *  # noqa: F401,F403

ALLOWED_HOSTS = ["*"]
DATABASES["default"]["CONN_MAX_AGE"] = None  # noqa: F405 - keep one connection, as a warm server does
# The page rows time a page as it is built, every run: none is served again from crm.page_cache (its effect is
# measured by scripts/saturation.py, docs/PERFORMANCE.md "Throughput at saturation").
PAGE_CACHE_SECONDS = 0
