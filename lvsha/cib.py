"""Compare the CIB pacemaker has with the one lvsha renders, so the deploy changes only what
differs (pure: XML text in, decisions out)."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def canonical(xml_text: str) -> str:
    """Whitespace- and attribute-order-independent form of an XML fragment ('' if empty)."""
    if not xml_text.strip():
        return ""
    return ET.canonicalize(xml_text, strip_text=True)


def section(configuration_xml: str, scope: str) -> str:
    """One section (resources, constraints, ...) of a rendered <configuration> as XML."""
    element = ET.fromstring(configuration_xml).find(scope)
    if element is None:
        raise KeyError(f"no <{scope}> in the rendered configuration")
    return ET.tostring(element, encoding="unicode")


def nvpairs_to_set(current_xml: str, wanted: dict[str, str]) -> dict[str, str]:
    """Which of ``wanted`` (name -> value) are not already set so in a CIB section's nvpairs."""
    have: dict[str | None, str | None] = {}
    if current_xml.strip():
        have = {pair.get("name"): pair.get("value")
                for pair in ET.fromstring(current_xml).iter("nvpair")}
    return {name: value for name, value in wanted.items() if have.get(name) != value}


def nvpairs_to_delete(current_xml: str, optional: frozenset[str],
                      wanted: dict[str, str]) -> list[str]:
    """Which ``optional`` nvpairs (those lvsha sets for some specs only) a CIB section holds
    while ``wanted`` no longer has them."""
    if not current_xml.strip():
        return []
    have = {pair.get("name") for pair in ET.fromstring(current_xml).iter("nvpair")}
    return sorted(name for name in optional if name in have and name not in wanted)
