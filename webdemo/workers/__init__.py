"""Processes a style must not share with the server (gevent's): the supervisor, which
starts and talks to them; the handler, the style's Tornado side; the job, which runs
inside a worker process; and gevent_main, the greenlet worker process itself."""
