"""--allowed-host and --xheaders: the flags, and the Host check with the names allowed."""

import json

import pytest

from webdemo.app import Config
from webdemo.cli import parse_args


@pytest.fixture
def config(http_port):
    return Config(port=http_port, allowed_hosts=("demo.example", "www.demo.example"))


def test_the_flags_reach_the_config():
    config = parse_args(["--allowed-host", "demo.example", "--allowed-host", "b.example",
                         "--xheaders", "--drain", "5"])
    assert config.allowed_hosts == ("demo.example", "b.example")
    assert config.xheaders and config.drain_seconds == 5
    assert parse_args([]).allowed_hosts == () and not parse_args([]).xheaders


@pytest.mark.gen_test
@pytest.mark.parametrize("host", ["demo.example", "www.demo.example:443", "127.0.0.1"])
async def test_the_names_allowed_are_served(http_client, base_url, host):
    response = await http_client.fetch(f"{base_url}/stats", headers={"Host": host})
    assert response.code == 200


@pytest.mark.gen_test
@pytest.mark.parametrize("host", ["evil.example", "demo.example.evil.example"])
async def test_other_names_are_still_refused(http_client, base_url, host):
    response = await http_client.fetch(f"{base_url}/stats", raise_error=False,
                                       headers={"Host": host, "Accept": "application/json"})
    assert response.code == 403
    assert host in json.loads(response.body)["error"]
