"""The interactive docs at /schema work offline: the viewer comes from this server, and the
page asks no other host for anything."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Route, sync_playwright

from rendezvous.core.openapi_viewer import SCALAR_VERSION, STATIC_DIR
from tests.browser import CHROMIUM_ARGS, chromium
from tests.helpers import Api
from tests.server import serving

CONTENT_TYPES = {".js": "javascript", ".json": "json"}


class _Links(HTMLParser):
    """Every URL the page's tags point at (script src, link href, Scalar's data-url)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "data-url") and v]


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


async def test_the_docs_page_loads_only_files_this_server_serves(api: Api) -> None:
    page = await api.get("/schema")  # no token: the docs are public
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    own_host = urlsplit(str(api.client.base_url)).netloc
    for url in re.findall(r"https?://[^\s\"'<>)]+", html):
        assert urlsplit(url).netloc == own_host, url

    urls = [url for url in _links(html) if not url.startswith("data:")]
    assert f"/schema/static/standalone.js?v={SCALAR_VERSION}" in urls
    assert "/schema/openapi.json" in urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url  # same origin, behind any proxy
        response = await api.get(urljoin("/schema", url))
        assert response.status_code == 200, url
        assert CONTENT_TYPES[Path(parts.path).suffix] in response.headers["content-type"], url


async def test_the_viewer_file_is_public_cacheable_and_the_version_the_code_names(
    api: Api,
) -> None:
    response = await api.get(f"/schema/static/standalone.js?v={SCALAR_VERSION}")
    assert response.status_code == 200
    cache_control = response.headers["cache-control"]
    assert "public" in cache_control and "immutable" in cache_control
    assert response.content == (STATIC_DIR / "standalone.js").read_bytes()
    # The bundle logs its own version; the URL's ?v= must change when the file does.
    assert f"@scalar/api-reference@{SCALAR_VERSION}`" in response.text
    assert (await api.get("/schema/static/nothing.js")).status_code == 404


@pytest.mark.slow
def test_the_docs_page_lists_the_endpoints_in_a_browser_without_network(tmp_path: Path) -> None:
    executable = chromium()
    with serving(tmp_path) as base, sync_playwright() as playwright:
        own_host = urlsplit(base).netloc
        requested: list[str] = []
        errors: list[str] = []

        def only_this_server(route: Route) -> None:
            if urlsplit(route.request.url).netloc == own_host:
                route.continue_()
            else:
                route.abort("internetdisconnected")

        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(service_workers="block")
            context.route("**/*", only_this_server)
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()
            page.on("websocket", lambda socket: requested.append(socket.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            response = page.goto(f"{base}/schema")
            assert response is not None and response.status == 200

            # Scalar renders the tags in the sidebar and each tag's operations by path.
            page.get_by_text("/groups/{group_id}", exact=True).first.wait_for(timeout=30_000)
            page.wait_for_load_state("networkidle")
            text = page.inner_text("body")
            for tag in ("users", "groups", "events", "geocoding", "venues", "calendar"):
                assert re.search(rf"^{tag}$", text, re.MULTILINE), tag
            for path in ("/health", "/users", "/me/tokens", "/groups/{group_id}/invites"):
                assert re.search(rf"^{re.escape(path)}$", text, re.MULTILINE), path
            page.get_by_text("users", exact=True).first.click()  # open the tag in the sidebar
            page.get_by_text("CreateUser", exact=True).first.wait_for(timeout=10_000)
        finally:
            browser.close()

    # Attempts count, not only what got through: the router aborted anything else.
    elsewhere = [url for url in requested if urlsplit(url).netloc not in (own_host, "")]
    assert elsewhere == []
    assert f"{base}/schema/static/standalone.js?v={SCALAR_VERSION}" in requested
    assert errors == []
