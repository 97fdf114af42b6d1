"""The study store: Optuna's RDB storage plus dse's own tables in the same database."""

from dse.store.connect import DEFAULT_URL, heartbeat, resolve_url
from dse.store.store import Store, status_of
from dse.store.url import redact

__all__ = ["DEFAULT_URL", "Store", "heartbeat", "redact", "resolve_url", "status_of"]
