"""gunicorn settings of an app server: ``gunicorn --config deploy/gunicorn.conf.py --bind 127.0.0.1:PORT``.

Used by ``systemd/integrity-survey@.service`` (which adds the port and a control socket of its own) and by the
tests that run the deployment (``tests/deploy``), so what is documented is what is tested.
"""

import multiprocessing

wsgi_app = "wsgi:app"
# One process per core (page rendering is CPU-bound Python; processes sidestep the GIL), a few threads each
# so a process keeps working while a request waits on PostgreSQL: docs/benchmarks.md measured 4 as best.
workers = multiprocessing.cpu_count()
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 30
# nginx on the same host; the app itself trusts X-Forwarded-* from TRUSTED_PROXY_COUNT proxies (ProxyFix).
forwarded_allow_ips = "127.0.0.1,::1"
# gunicorn's access log is off unless --access-logfile is given (nginx logs). If you turn it on, keep this
# format: no time (%(t)s), no address (%(h)s), no user agent (%(a)s), no referrer (%(f)s); the app replaces
# the token in /r/<token> (survey_app/security.py). tests/app/test_logging.py runs it and reads the log.
access_log_format = '"%(r)s" %(s)s %(b)s'
errorlog = "-"
loglevel = "info"
