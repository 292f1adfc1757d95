"""The interactive API docs at /schema, served with the viewer's own script (vendored Scalar,
see README.md here), so the page works offline and calls no other host."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from rendezvous.core.auth import EXCLUDE_FROM_AUTH

# The vendored @scalar/api-reference; bump with the file (README.md here says how).
SCALAR_VERSION = "1.76.4"
STATIC_DIR = Path(__file__).parent / "static"
# Relative to the OpenAPI path (/schema): the plugin's router is mounted there.
STATIC_PATH = "/static"

# Off: Scalar's defaults that reach its own hosts (web fonts from fonts.scalar.com,
# telemetry) and the buttons that offer its hosted services (the AI agent, which would
# send the schema there; the developer tools bar). "Test Request" stays: it calls this API.
_OPTIONS = {
    "withDefaultFonts": False,
    "telemetry": False,
    "agent": {"disabled": True},
    "showDeveloperTools": "never",
}
# The URL names the version, so a browser may keep the file as long as it likes.
_CACHE_CONTROL = CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True)


class OfflineScalarRenderPlugin(ScalarRenderPlugin):
    """Scalar's page with every URL on this server: the script from `STATIC_DIR`, no CDN
    stylesheet (the bundle carries its styles) and no favicon request."""

    def __init__(self, openapi_path: str = "/schema") -> None:
        super().__init__(
            js_url=f"{openapi_path}{STATIC_PATH}/standalone.js?v={SCALAR_VERSION}",
            # Litestar's default theme comes from a CDN; the bundle needs no stylesheet.
            css_url="data:text/css,",
            favicon="<link rel='icon' href='data:,'>",
            options=_OPTIONS,
        )

    def receive_router(self, router: Router) -> None:
        """Serve the viewer's files next to the page, public like the schema itself."""
        router.register(
            create_static_files_router(
                path=STATIC_PATH,
                directories=[STATIC_DIR],
                name="openapi_viewer",
                cache_control=_CACHE_CONTROL,
                opt={EXCLUDE_FROM_AUTH: True},
            )
        )
