"""Turn what a platform answered into an outbox outcome: delivered, retry, or give up."""

from __future__ import annotations

from lti_tool.lti.service_client import ServiceError
from lti_tool.outbox.services import Outcome

# Answers worth another attempt later: the platform is busy, down, or timed out.
TRANSIENT_CLIENT_ERRORS = {408, 425, 429}


def outcome_from_error(exc: ServiceError) -> Outcome:
    """5xx, timeouts and network errors retry with backoff; 429 honours Retry-After; other 4xx fail."""
    error = str(exc)
    if exc.is_network_error:
        return Outcome(error=error)
    status = exc.status or 0
    if status >= 500:
        return Outcome(status_code=status, error=error)
    if status in TRANSIENT_CLIENT_ERRORS:
        return Outcome(status_code=status, error=error, retry_after=exc.retry_after)
    if status in {401, 403}:
        # Moodle answers 401 when the service's scope was not granted to the tool.
        error = f"The platform refused access; check that the tool may use this service (scopes). {error}"
    return Outcome(status_code=status, error=error, permanent=True)
