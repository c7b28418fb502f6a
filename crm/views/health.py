import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers, 503 otherwise.

    Anyone may ask, so the answer never says why (the error names the host, port and role): the reason goes to the
    log only (docs/SECURITY.md).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})
