"""Gunicorn settings for `leerpaspoort serve` and production."""

import os

bind = os.environ.get("LEERPASPOORT_BIND", "127.0.0.1:8000")
# Threads let one worker serve the demo platform while it answers its own launch.
worker_class = "gthread"
workers = int(os.environ.get("LEERPASPOORT_WORKERS", "2"))
threads = int(os.environ.get("LEERPASPOORT_THREADS", "4"))
timeout = 30
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
