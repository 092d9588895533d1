"""The essay's claims, run: races, deadlocks, and what happens to the rest when one fetch fails.

Empty on purpose: `python -m webdemo.claims.greenlets` imports this package before its
own first line, which must be gevent's patch; so nothing may be imported here.
The registry of demos and variants is registry.py.
"""
