"""Static files: cached for good at a versioned address; a module one imports (asked
without a version) checked each time, so that a page never mixes old and new modules."""

import re

import pytest

from webdemo.base import SCRIPT_IMPORT, resource_dir


@pytest.mark.gen_test
async def test_versioned_files_are_kept_unversioned_ones_checked(http_client, base_url):
    page = (await http_client.fetch(base_url + "/")).body.decode()
    entry = re.search(r'<script src="(/static/index\.js\?v=\w+)" type="module">', page).group(1)
    versioned = await http_client.fetch(base_url + entry)
    assert "max-age=315360000" in versioned.headers["Cache-Control"]

    imported = SCRIPT_IMPORT.findall(versioned.body.decode())
    assert "app.js" in imported
    for name in imported:
        response = await http_client.fetch(f"{base_url}/static/{name}")
        assert response.headers["Cache-Control"] == "no-cache"
        again = await http_client.fetch(f"{base_url}/static/{name}", raise_error=False,
                                        headers={"If-None-Match": response.headers["Etag"]})
        assert again.code == 304


def test_every_module_is_imported_by_name_as_the_server_reads_it():
    # script_messages() follows these lines to find a page's words.
    for path in resource_dir("static").glob("*.js"):
        imports = re.findall(r"^import .*$", path.read_text(), flags=re.MULTILINE)
        assert len(SCRIPT_IMPORT.findall(path.read_text())) == len(imports), path.name
