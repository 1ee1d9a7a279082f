"""Gunicorn settings for `leerpaspoort serve` and production."""

import gc
import os

from lti_tool import worker_layout
from lti_tool.settings import load_settings

bind = os.environ.get("LEERPASPOORT_BIND", "127.0.0.1:8000")
# Single-threaded workers, one more than the cores on PostgreSQL and as many as the cores on
# SQLite (at most 16), unless the environment says otherwise; why is in lti_tool/worker_layout.py.
workers = worker_layout.workers(load_settings().database_url)
threads = worker_layout.threads()
worker_class = worker_layout.worker_class(threads)
# A sync worker busy longer than this is restarted: room for the largest export or upload to
# pass through the buffering proxy, while a hung request still ends.
timeout = 120
# The buffering proxy in front keeps the access log. Gunicorn's own costs about 0.1 ms of CPU
# per request (a twentieth of a single-statement POST); "-" (standard output) or a file turns it on.
accesslog = os.environ.get("LEERPASPOORT_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Start the stored-statements feed reader, and the embedded outbox loop (a standby
    thread; one process at a time delivers)."""
    from lti_tool.outbox.embedded import start_embedded_worker
    from lti_tool.wsgi import app
    from xapi.feed import start_reader

    # Formal evidence and cmi5 tracking then run beside the requests that store statements,
    # many commits at a time, instead of inside each of them (xapi/feed.py).
    worker.leerpaspoort_feed = start_reader(app)
    worker.leerpaspoort_outbox = start_embedded_worker(app)
    # Modules, mappers and the application live as long as the worker: move them out of the
    # collector's sight, or every full collection walks them again (about 2 ms of CPU per launch).
    gc.collect()
    gc.freeze()


def worker_exit(server, worker):
    """Let the feed reader and the outbox loop finish the work in hand before the process goes."""
    for name in ("leerpaspoort_feed", "leerpaspoort_outbox"):
        background = getattr(worker, name, None)
        if background is not None:
            background.stop()
