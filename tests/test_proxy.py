"""Behind a real reverse proxy: nginx in front of `webdemo --allowed-host ... --xheaders`.

The nginx configuration is docs/serving.md's (tests/test_docs.py checks it), with this test's
ports and a scratch directory for everything nginx writes. Without nginx the tests skip;
with CI set they fail instead, so a CI run cannot pass without running them.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import time

import pytest
from server_process import EventStream, get, get_json, running, until

NGINX = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
PUBLIC_NAME = "demo.example"

# docs/serving.md's server block; the scratch paths keep nginx out of /var and /run. Several
# machines (test_class_proxy.py) add their upstream block, and pass to it.
CONFIG = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    # Compressing text answers, event streams too, as a site would: nginx then holds a
    # buffered answer back until it ends, unless the app says not to buffer it.
    gzip on;
    gzip_types text/css application/javascript application/json text/event-stream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{upstreams}
    server {{
        listen 127.0.0.1:{port};
        server_name {name};

        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A run may take up to 85 s (RUN_SECONDS + the longest timeout).
            proxy_read_timeout 90s;
        }}
    }}
}}
"""


def in_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running(tmp_path_factory.mktemp("webdemo"), "--allowed-host", PUBLIC_NAME,
                 "--xheaders") as server:
        yield server


@contextlib.contextmanager
def nginx(tmp, upstream, upstreams=""):
    """nginx with CONFIG, passing to upstream (an address, or the name of one of
    upstreams), on a free loopback port, until the block ends; answers its base URL."""
    if NGINX is None:
        if in_ci():
            pytest.fail("no nginx: apt-get install -y nginx-light (CI is set: the proxy "
                        "tests must run, not skip)", pytrace=False)
        pytest.skip("no nginx: apt-get install -y nginx-light")
    port = free_port()
    (tmp / "nginx.conf").write_text(CONFIG.format(tmp=tmp, port=port, name=PUBLIC_NAME,
                                                  upstream=upstream, upstreams=upstreams))
    process = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        def listening():
            assert process.poll() is None, process.stderr.read().decode()
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0
        until(listening, what="nginx listening")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


@pytest.fixture(scope="module")
def proxy(app, tmp_path_factory):
    """nginx on a free loopback port, proxying to the app; answers its base URL."""
    with nginx(tmp_path_factory.mktemp("nginx"), f"127.0.0.1:{app.port}") as url:
        yield url


def public(**headers):
    return {"Host": PUBLIC_NAME} | headers


def test_pages_answer_under_the_public_name(proxy):
    status, _, body = get(f"{proxy}", headers=public())
    assert status == 200 and b"<html" in body
    status, _, body = get(f"{proxy}all?left=callbacks&right=coroutines", headers=public())
    assert status == 200


def test_a_run_answers_json_through_the_proxy(proxy):
    status, _, body = get(f"{proxy}coroutines?scenario=seed&format=json", headers=public())
    assert status == 200 and b'"ok": 3' in body


def test_a_host_name_not_allowed_is_refused(proxy):
    status, _, body = get(f"{proxy}", headers={"Host": "evil.example",
                                               "Accept": "application/json"})
    assert status == 403 and b"evil.example" in body


def test_the_app_sees_the_visitors_address_and_scheme(proxy):
    # nginx passes on the address the visitor connected from; the app takes it with
    # --xheaders, and so do its fair shares and its log.
    for address in ("127.0.0.2", "127.0.0.3"):
        status, stats = get_json(f"{proxy}stats", source=address, headers=public())
        assert status == 200
        assert (stats["your_address"], stats["scheme"]) == (address, "http")


def test_the_live_stream_arrives_event_by_event(proxy):
    # slow=5: the run takes over a second; its first events must come long before. The
    # app's X-Accel-Buffering: no is what makes sure: without it, nginx would send
    # this gzipped stream whole at the end.
    began = time.monotonic()
    stream = EventStream(f"{proxy}coroutines?scenario=seed&slow=5&format=events",
                         headers=public(**{"Accept-Encoding": "gzip"}))
    try:
        first = stream.next()
        rest = stream.rest()
    finally:
        stream.close()
    assert stream.gzipped
    assert first[0] == "run"
    assert rest[-1][0] == "aggregate"
    run_seconds = rest[-1][2] - began
    assert run_seconds > 1
    # Buffered, every event would arrive together at the end of the run.
    assert first[2] - began < run_seconds / 2
    assert rest[0][2] < rest[-1][2] - 0.5
