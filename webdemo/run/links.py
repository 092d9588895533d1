"""A page's links, read as a crawler reads them: the chain's step from one page to the next.

Light on purpose: the greenlet worker reads its pages' links with it too.
"""

from html.parser import HTMLParser

from webdemo.catalog import MAX_SPEC_LENGTH
from webdemo.scenarios import MAX_LINKS

# A page's links are read from its first this many bytes: a crawler reads no further.
# html.parser takes up to ~70 ms on 64 KiB of a hostile page's "<<<<", on the loop.
MAX_READ_BYTES = 64 * 1024
# Read in pieces, so that reading stops soon after the last link it keeps.
READ_CHUNK_CHARS = 16 * 1024


class LinkReader(HTMLParser):
    """The href of each <a>, in page order, as a crawler reads them; at most `most`."""

    def __init__(self, most):
        super().__init__()
        self.most = most
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href is not None and len(self.links) < self.most:
            # One character past the gate's longest spec: the gate still says "too long".
            self.links.append(href[:MAX_SPEC_LENGTH + 1])


def read_links(body: bytes) -> list[str]:
    """A page's links, at most one past MAX_LINKS: that one says there were more."""
    reader = LinkReader(MAX_LINKS + 1)
    text = body[:MAX_READ_BYTES].decode("utf-8", "replace")
    for offset in range(0, len(text), READ_CHUNK_CHARS):
        if len(reader.links) == reader.most:
            break
        reader.feed(text[offset:offset + READ_CHUNK_CHARS])
    return reader.links
