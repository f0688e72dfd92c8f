"""HTML pages reduced to their main text: menus, headers, footers, scripts and forms removed."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from kraftbot.ingestion.readers.base import Extracted, clean_value, decode_text

NOISE_TAGS = (
    "nav",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "form",
    "noscript",
    "template",
    "iframe",
    "svg",
    "button",
)
NOISE_ROLES = ("navigation", "banner", "contentinfo", "search", "complementary")
BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "dt",
    "dd",
    "tr",
    "table",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figcaption",
    "address",
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def _main_element(soup: BeautifulSoup) -> Tag:
    """The page's own content: <main>, else <article>, else <body> (else the whole page)."""
    for name in ("main", "article", "body"):
        element = soup.find(name)
        if isinstance(element, Tag):
            return element
    return soup


def _drop_noise(root: Tag) -> None:
    """Remove page furniture; a <header> inside <main> or <article> is the article's own heading."""
    own_header = root.name in ("main", "article")
    for element in root.find_all([t for t in NOISE_TAGS if not (own_header and t == "header")]):
        element.decompose()
    for element in root.find_all(attrs={"role": NOISE_ROLES}):
        element.decompose()


def _block_text(root: Tag) -> str:
    """Text with a line break after each block element and <br>, inline elements kept in line."""
    for br in root.find_all("br"):
        br.replace_with("\n")
    for block in root.find_all(BLOCK_TAGS):
        block.insert_before("\n\n")
        block.append("\n\n")
    lines = [_SPACES.sub(" ", line).strip() for line in root.get_text().split("\n")]
    paragraphs = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", paragraphs).strip()


def _canonical_url(soup: BeautifulSoup) -> str:
    link = soup.find("link", rel="canonical")
    if isinstance(link, Tag) and link.get("href"):
        return clean_value(link["href"])
    og_url = soup.find("meta", property="og:url")
    return clean_value(og_url.get("content")) if isinstance(og_url, Tag) else ""


def read_html(data: bytes) -> Extracted:
    """Main text of the page; title from <title>, url from the canonical link when given."""
    soup = BeautifulSoup(decode_text(data), "html.parser")
    title = clean_value(soup.title.get_text()) if soup.title else ""
    url = _canonical_url(soup)
    root = _main_element(soup)
    _drop_noise(root)
    first_heading = root.find(["h1", "h2"])
    meta = {key: value for key, value in (("title", title), ("url", url)) if value}
    return Extracted(
        pages=[("", _block_text(root))],
        meta=meta,
        heading=clean_value(first_heading.get_text(" ")) if first_heading else "",
    )
