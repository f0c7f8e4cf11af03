"""Deciding what to change in the CIB: only what differs from what lvsha renders."""

from __future__ import annotations

from lvsha import cib, environments, render

LAB = environments.load("lab")


def test_canonical_ignores_whitespace_and_attribute_order() -> None:
    a = '<resources>\n  <primitive id="x" class="ocf"/>\n</resources>'
    b = '<resources><primitive class="ocf" id="x"></primitive></resources>'
    assert cib.canonical(a) == cib.canonical(b)
    assert cib.canonical(a) != cib.canonical(a.replace('"x"', '"y"'))
    assert cib.canonical("  ") == ""


def test_rendered_sections_round_trip() -> None:
    rendered = render.cib_configuration(LAB)
    resources = cib.section(rendered, "resources")
    assert resources.startswith("<resources>")
    assert cib.canonical(resources) == cib.canonical(cib.section(rendered, "resources"))


def test_only_missing_or_different_nvpairs_are_set() -> None:
    current = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
               '<nvpair id="a" name="stonith-enabled" value="false"/>'
               '<nvpair id="b" name="no-quorum-policy" value="ignore"/>'
               '</cluster_property_set></crm_config>')
    wanted = render.cluster_properties(LAB)
    assert cib.nvpairs_to_set(current, wanted) == {"no-quorum-policy": "stop"}
    assert cib.nvpairs_to_set("", wanted) == wanted
