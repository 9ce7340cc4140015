"""Charts for pages: pygal draws them on the server as SVG (no script, no CDN), and a
page shows one as an <img> from a data: URL, with its alt text and, beside it, a table
of the same numbers (WEB.md)."""
from __future__ import annotations

import base64

import pygal
from pygal.style import Style

STYLE = Style(background="white", plot_background="white", colors=("#6b7280", "#1d4ed8"),
              font_family="system-ui, sans-serif")


def new(kind: str, **options):
    """A pygal chart of `kind` ("Line", "Bar") in the pages' style, referencing no script."""
    return getattr(pygal, kind)(js=[], style=STYLE, disable_xml_declaration=False, **options)


def data_url(chart) -> str:
    """The chart rendered as SVG, as a data: URL for an <img>."""
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
