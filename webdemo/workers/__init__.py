"""Processes a style must not share with the server (gevent's): the launcher, which starts
every patched subprocess; the supervisor, which talks to the long-lived ones; the server's
side of a style that runs in one (server_side); and gevent_main, the greenlet worker
process itself, which runs the style's jobs (webdemo/run/job.py)."""
