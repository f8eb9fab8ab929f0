"""Clutter rules for EUR-Lex pages: what is page chrome, not document text.

The original EUR-Lex-Sum took BeautifulSoup `.text` of the whole page, so 370 of 1,504 English
references start with "EUR-Lex - <CELEX> - EN / Avis juridique important". These rules decide,
element by element, what the block walker in `parse.py` skips, and clean the text it keeps.
"""

from __future__ import annotations

import re

# Elements whose whole subtree is never document text.
SKIPPED_TAGS = frozenset(
    "head script style noscript nav form button select option input iframe svg img link meta hr "
    "footer map object embed template".split()
)
# Page chrome by id: legacy banner with "Avis juridique important" and the language bar, the
# front office menus and sidebars.
CLUTTER_IDS = frozenset(
    "banner AffixSidebar AffixSidebarWrapper languageBar langBar header footer navbar "
    "globan usermenu breadcrumb cookie-consent-banner".split()
)
# Page chrome by class: language bar and toolbar (legacy), consolidated-text cover lines, OJ page
# header cells (date, language, "Official Journal", page), summary "last update" line.
CLUTTER_CLASSES = frozenset(
    "bglang bgtool langue disclaimer reference arrow hd-modifiers hd-date hd-lg hd-ti hd-oj "
    "oj-hd-date oj-hd-lg oj-hd-ti oj-hd-oj doc-sep oj-doc-sep separator separator-annex "
    "separator-short lseu-lastmod linkToTop to-top skip-link".split()
)
# Link texts that are navigation, in every language the site uses for them.
NAVIGATION_TEXTS = frozenset({"top", "▲", "↑", "haut", "oben", "inicio", "alku", "arriba"})
_MARKER = re.compile(r"^[►▼▲◄][A-Z]?\d*$")  # consolidated-text amendment markers: ►B ▼M1 ◄
_DROP_LINE = re.compile(
    r"""^(?:
        .*\.xml                           # CONVEX file names kept as <title> or text
      | >?\s*PIC\s+FILE=.*                # legacy image placeholders: >PIC FILE= "L_....TIF">
      | [—–\-_\s]{3,}                     # deleted-text rules ————— in consolidated texts
      | \|                                # legacy toolbar separator
    )$""",
    re.X,
)
_SPACE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_INNER_PAREN = re.compile(r"\(\s+([^()]{0,12}?)\s+\)")  # "( 1 )" from re-indented markup → "(1)"
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:](?:\s|$))")


def is_clutter(tag: str, attrib) -> bool:
    """True when an element (by tag and attributes) is page chrome, never document text."""
    if tag in SKIPPED_TAGS:
        return True
    el_id = attrib.get("id")
    if el_id and el_id in CLUTTER_IDS:
        return True
    cls = attrib.get("class")
    if cls and not CLUTTER_CLASSES.isdisjoint(cls.split()):
        return True
    if tag == "a":
        href = attrib.get("href", "")
        if attrib.get("name") == "top" or href in ("#top", "#TOP") or href.endswith("legal_notice.htm"):
            return True
    return False


def is_navigation_text(text: str) -> bool:
    """Link or line texts that only navigate ("Top", "▲") or mark amendments (►B, ▼M1)."""
    t = text.strip()
    return t.lower() in NAVIGATION_TEXTS or bool(_MARKER.match(t))


def normalise_text(text: str) -> str:
    """One line of clean text: collapsed whitespace, no space inside "( 1 )" or before commas."""
    text = _SPACE.sub(" ", text).strip()
    if "(" in text:
        text = _INNER_PAREN.sub(r"(\1)", text)
    if " " in text:
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return text


def is_dropped_line(text: str) -> bool:
    """Lines that are artefacts, not content: CONVEX file names, image placeholders, rules."""
    return bool(_DROP_LINE.match(text)) or is_navigation_text(text)


def strip_markers(text: str) -> str:
    """Remove consolidated-text amendment markers (►M1, ▼B, ◄) that sit inside a line."""
    if "►" in text or "▼" in text or "◄" in text:
        text = re.sub(r"[►▼◄][A-Z]?\d*", " ", text)
        text = _SPACE.sub(" ", text).strip()
    return text
