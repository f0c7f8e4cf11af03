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


# Constraints an operator makes with `crm_resource --move/--ban` (`pcs resource move/ban`):
# pacemaker gives them ids starting so, and they last until the operator clears them.
OPERATOR_CONSTRAINT_PREFIX = "cli-"


def with_operator_constraints(current_xml: str, wanted_xml: str, resources_xml: str) -> str:
    """The rendered <constraints> (``wanted_xml``) plus the operator's own from the live ones
    (``current_xml``) that name a resource the rendered <resources> still has: a re-deploy
    keeps a node banned or a resource moved for maintenance until the operator clears it."""
    if not current_xml.strip():
        return wanted_xml
    resources = {element.get("id") for element in ET.fromstring(resources_xml).iter()}
    kept = [constraint for constraint in ET.fromstring(current_xml)
            if constraint.get("id", "").startswith(OPERATOR_CONSTRAINT_PREFIX)
            and constraint.get("rsc") in resources]
    if not kept:
        return wanted_xml
    wanted = ET.fromstring(wanted_xml)
    wanted.extend(kept)
    return ET.tostring(wanted, encoding="unicode")
