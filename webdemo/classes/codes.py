"""What names a class and its people: join codes, the teacher's key, nicknames; and the
limit on guessing codes."""

import hashlib
import ipaddress
import re
import secrets
import time

from webdemo.query import BadInput

# Read aloud and typed from a projector: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G look-alikes,
# and none of the letters that rhyme in English (B C D E G P T V Z), nor U/V.
ALPHABET = "AFHJKMNQRWXY34679"
CODE_LENGTH = 9  # 17**9, about 1.2e11 codes: see GUESSES below
GROUP = 3  # shown as AHK-MNQ-RWX
CODE_TEXT = re.compile(rf"[{ALPHABET}]{{{CODE_LENGTH}}}")
NICKNAME_CHARS = 24
KEY_IN_QUERY = re.compile(r"(?<=[?&])key=[^&]*")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    """The code as people read it: in groups of three."""
    return "-".join(code[start:start + GROUP] for start in range(0, len(code), GROUP))


def read_code(text: str) -> str:
    """A code as typed: any case, with spaces or dashes; refused unless it could be one."""
    code = re.sub(r"[\s-]", "", text[:40]).upper()
    if not CODE_TEXT.fullmatch(code):
        raise BadInput("a join code is %(length)s letters and digits, like %(example)s, "
                       "not %(text)r", length=CODE_LENGTH, example="AHK-MNQ-RWX",
                       text=text[:40])
    return code


def new_key() -> str:
    """The teacher's capability: whoever holds it leads the class."""
    return secrets.token_urlsafe(24)


def key_hash(key: str) -> str:
    # Only the hash is stored: the store's file leaks no teacher link.
    return hashlib.sha256(key.encode()).hexdigest()


def masked(uri: str) -> str:
    """An address as logs may keep it: a teacher's link, /class/CODE/teach?key=KEY,
    without its key, which would let whoever reads the log lead the class."""
    return KEY_IN_QUERY.sub("key=...", uri)


def new_member() -> str:
    return secrets.token_urlsafe(18)


def read_nickname(text: str) -> str:
    """A nickname, optional: up to NICKNAME_CHARS printable characters, spaces trimmed."""
    nickname = " ".join(text.split())
    if len(nickname) > NICKNAME_CHARS or not nickname.isprintable():
        raise BadInput("a nickname is up to %(count)s letters, digits or signs",
                       count=NICKNAME_CHARS)
    return nickname


class RateLimit:
    """Token buckets: one per address (an IPv6 address's /64, which one household holds)
    and one for the whole server. Each process counts its own."""

    MAX_ADDRESSES = 10_000

    def __init__(self, per_address, server, clock=time.monotonic):
        # Each (burst, seconds): at most burst at once, then one per that many seconds.
        self.limits = per_address, server
        self.clock = clock
        self.buckets = {}  # key -> (tokens, when)

    def allow(self, address: str) -> bool:
        """Whether one more may come from address now; counts it if so."""
        now = self.clock()
        keys = zip((self.group(address), "*"), self.limits, strict=True)
        levels = {key: self.level(key, limit, now) for key, limit in keys}
        if any(level < 1 for level in levels.values()):
            return False
        if len(self.buckets) > self.MAX_ADDRESSES:  # the full ones carry no information
            self.buckets = {key: value for key, value in self.buckets.items()
                            if key in levels}
        for key, level in levels.items():
            self.buckets[key] = (level - 1, now)
        return True

    def level(self, key, limit, now):
        burst, seconds = limit
        tokens, when = self.buckets.get(key, (burst, now))
        return min(burst, tokens + (now - when) / seconds)

    @staticmethod
    def group(address: str) -> str:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address
        if ip.version == 6:
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)


# Wrong join codes. Only a wrong code is counted, so a class of 200 behind one school
# address, who all type the right one, joins at once; 30 typos at once and one a second
# after that is plenty for them. A guesser meets both limits: at most 300 wrong codes a
# minute across the server is 2e5 in a class's 12 hours, against 1.2e11 codes: with 100
# classes open, one chance in 5,000 of finding any.
def wrong_codes(clock=time.monotonic):
    return RateLimit((30, 1.0), (300, 0.2), clock)


# Classes opened: a teacher opens a few; a script would fill the disk.
def openings(clock=time.monotonic):
    return RateLimit((20, 60.0), (200, 1.0), clock)


# Joins, each a new member (a browser that has joined goes to its class uncounted): a
# class of 200 behind one school address joins at once, and more arrive one every few
# seconds; one holder of the code, from one address, cannot fill a class (MAX_MEMBERS)
# in less than half an hour.
def joins(clock=time.monotonic):
    return RateLimit((250, 6.0), (5000, 0.01), clock)
