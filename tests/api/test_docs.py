"""`/docs` (Swagger UI) works without internet: the page and everything it loads come
from our own server (gpo/docs.py), nothing from another host."""
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

CONTENT_TYPES = {
    ".css": {"text/css"},
    ".js": {"text/javascript", "application/javascript"},
    ".png": {"image/png"},
    ".json": {"application/json"},
}


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.scripts.append(data)


def _references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    # The inline initializer's URLs (the OpenAPI document, anything else it names).
    urls = [*parser.urls]
    for script in parser.scripts:
        urls += re.findall(r"""\b(?:url|urls|oauth2RedirectUrl|validatorUrl)\s*:\s*["']([^"']+)["']""", script)
    return urls


def test_docs_and_every_asset_it_references_come_from_our_own_server(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)

    # No absolute (or protocol-relative) URL to any host: everything is same-origin.
    assert re.findall(r"(?:https?:)?//[\w.-]+", page) == []

    urls = _references(page)
    assert len(urls) >= 4, urls  # the stylesheet, the two scripts, the OpenAPI document
    suffixes = set()
    for url in urls:
        absolute = urljoin("http://localhost/docs", url)
        parts = urlsplit(absolute)
        assert parts.netloc == "localhost", f"{url} is not on our own server"
        asset = client.get(parts.path)
        assert asset.status_code == 200, url
        suffix = "." + parts.path.rsplit(".", 1)[-1]
        suffixes.add(suffix)
        assert asset.mimetype in CONTENT_TYPES[suffix], (url, asset.mimetype)
        assert len(asset.data) > 100, url
        if suffix == ".css":  # a stylesheet loads nothing from elsewhere (images are data: URIs)
            css = asset.get_data(as_text=True)
            assert [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) if not u.startswith("data:")] == []
        if suffix == ".json":
            assert "paths" in asset.get_json()
    assert {".css", ".js", ".json"} <= suffixes
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)


def test_the_swagger_ui_files_are_the_pinned_release(client):
    from gpo.docs import SWAGGER_UI_URL, SWAGGER_UI_VERSION

    assert SWAGGER_UI_URL == f"/docs/swagger-ui-{SWAGGER_UI_VERSION}/"
    bundle = client.get(SWAGGER_UI_URL + "swagger-ui-bundle.js")
    assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.data
    missing = client.get(SWAGGER_UI_URL + "no-such-file.js")
    assert missing.status_code == 404
