"""A browser, as far as class mode needs one: its cookies, its XSRF token, and a class
page's live stream read event by event."""

import http.client
import json
import re
import time
from urllib.parse import urlencode, urlsplit


class Visitor:
    def __init__(self, base, source=None, language=None):
        parts = urlsplit(base)
        self.host, self.port, self.source = parts.hostname, parts.port, source
        self.cookies = {}
        self.language = language

    def connection(self, timeout=30):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                          source_address=(self.source, 0) if self.source
                                          else None)

    def headers(self, extra=None):
        headers = {"Accept": "application/json"} | (extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in
                                          self.cookies.items())
        if self.language:
            headers["Accept-Language"] = self.language
        return headers

    def keep_cookies(self, response):
        for header in response.headers.get_all("Set-Cookie") or ():
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value

    def request(self, method, path, fields=None, headers=None):
        """(status, headers, body as text); redirects are not followed."""
        connection = self.connection()
        try:
            body = urlencode(fields) if fields is not None else None
            extra = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
            connection.request(method, path, body=body,
                               headers=self.headers(extra | (headers or {})))
            response = connection.getresponse()
            self.keep_cookies(response)
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()

    def get(self, path, **options):
        return self.request("GET", path, **options)

    def post(self, path, fields=None, **options):
        if "_xsrf" not in self.cookies:
            self.get("/join", headers={"Accept": "text/html"})
        return self.request("POST", path, {"_xsrf": self.cookies["_xsrf"]} | (fields or {}),
                            **options)

    def open_class(self, lesson=1):
        """Opens a class as its teacher: answers its code."""
        status, headers, body = self.post("/class/new", {"lesson": lesson})
        assert status == 303, body
        return re.fullmatch(r"/class/(\w+)/teach", headers["Location"]).group(1)

    def join(self, code):
        status, headers, body = self.get(f"/join?code={code}")
        assert (status, headers.get("Location")) == (303, f"/class/{code}"), (status, body)

    def stream(self, path):
        return ClassStream(self, path)


class ClassStream:
    """A class page's server-sent events, as they arrive."""

    def __init__(self, visitor, path, timeout=10):
        self.connection = visitor.connection(timeout)
        self.connection.request("GET", path, headers=visitor.headers())
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.buffer = ""

    def next(self):
        """The next (event, data, arrived monotonic s); None at the stream's end."""
        while True:
            while "\n\n" not in self.buffer:
                try:
                    chunk = self.response.read1(65536)
                except TimeoutError:
                    return None
                if not chunk:
                    return None
                self.buffer += chunk.decode()
            block, self.buffer = self.buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines()
                          if not line.startswith(":"))  # a comment: the heartbeat
            if fields:
                return fields["event"], json.loads(fields["data"]), time.monotonic()

    def until(self, condition, seconds=10):
        """The first state for which condition(state) holds, within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.next()
            assert message is not None, "the stream ended"
            if message[0] == "class" and condition(message[1]):
                return message[1], message[2]
        raise AssertionError(f"no such state within {seconds} s")

    def close(self):
        self.connection.close()
