"""The simulated sites, and the scenarios that fetch them: the aggregate's and the chain's.

Data only: the catalog reads these names, and passes what they stand for through
its gate as it passes any fetch.
"""

FAN_OUT_SIZE = 100  # the most a fan-out scenario asks for, and its default

# The essay's three sites, simulated with different latencies and sizes.
BUILT_IN = {
    "google.com": "/upstream/google.com?delay_ms=120&bytes=14336",
    "yandex.ru": "/upstream/yandex.ru?delay_ms=240&bytes=9216",
    "python.org": "/upstream/python.org?delay_ms=180&bytes=20480",
    "broken": "/upstream/broken?delay_ms=60&status=500&bytes=256",
    # Longer than any allowed --timeout, so a fetch of it always times out.
    "hangs": "/upstream/hangs?delay_ms=30000",
}
REFUSED = "refused"  # a port this server holds without listening: connecting is refused

SEED = ["google.com", "yandex.ru", "python.org"]
SCENARIOS = {
    "seed": SEED,
    "one-fails": ["google.com", "broken", "python.org"],
    "one-hangs": ["google.com", "hangs", "python.org"],
    "one-refused": ["google.com", REFUSED, "python.org"],
    "fan-out": [
        f"/upstream/fan-{n:03}?delay_ms=200&bytes=2048" for n in range(1, FAN_OUT_SIZE + 1)
    ],
    # The essay's three sites, each with the delay_ms=D the visitor gives, in order.
    "custom": SEED,
}


# A simulated page links to at most this many others (links=a,b,c); a chain follows at
# most this many links of a page, and says so of the rest.
MAX_LINKS = 10

# The chain's pages. A page links to others by catalog name (<a href="NAME">): the start
# page to the essay's three sites, each site to its "more" page.
CHAIN_PAGES = {
    "start": "/upstream/start?delay_ms=60&links=www.google.com,www.yandex.ru,www.python.org",
    "www.google.com": "/upstream/www.google.com?delay_ms=120&bytes=14336&links=more.google.com",
    "www.yandex.ru": "/upstream/www.yandex.ru?delay_ms=240&bytes=9216&links=more.yandex.ru",
    "www.python.org": "/upstream/www.python.org?delay_ms=180&bytes=20480&links=more.python.org",
    "more.google.com": "/upstream/more.google.com?delay_ms=90&bytes=4096",
    "more.yandex.ru": "/upstream/more.yandex.ru?delay_ms=90&bytes=4096",
    "more.python.org": "/upstream/more.python.org?delay_ms=90&bytes=4096",
    "start-link-fails": "/upstream/start-link-fails?delay_ms=60"
                        "&links=www.google.com,broken,www.python.org",
    "start-last-hangs": "/upstream/start-last-hangs?delay_ms=60"
                        "&links=www.google.com,www.yandex.ru,mirror.python.org",
    # The largest of its step, so the last step follows its link, which hangs.
    "mirror.python.org": "/upstream/mirror.python.org?delay_ms=180&bytes=20480&links=hangs",
}
# A chain scenario is the page the chain starts from.
CHAIN_SCENARIOS = {
    "chain": "start",
    "chain-start-fails": "broken",
    "chain-link-fails": "start-link-fails",
    "chain-last-hangs": "start-last-hangs",
}
