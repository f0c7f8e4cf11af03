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
    wanted = {"stonith-enabled": "false", "no-quorum-policy": "stop"}
    assert cib.nvpairs_to_set(current, wanted) == {"no-quorum-policy": "stop"}
    assert cib.nvpairs_to_set("", wanted) == wanted


def test_a_property_only_some_specs_set_is_deleted_where_the_spec_has_none() -> None:
    current = ('<crm_config><cluster_property_set id="cib-bootstrap-options">'
               '<nvpair id="a" name="stonith-watchdog-timeout" value="10"/>'
               '<nvpair id="b" name="maintenance-mode" value="true"/>'
               '</cluster_property_set></crm_config>')
    assert "stonith-watchdog-timeout" in render.cluster_properties(LAB)  # sbd fences the lab
    assert cib.nvpairs_to_delete(current, render.OPTIONAL_PROPERTIES,
                                 render.cluster_properties(LAB)) == []
    # Not an operator's own properties (maintenance-mode): only those lvsha may set.
    assert cib.nvpairs_to_delete(current, render.OPTIONAL_PROPERTIES,
                                 {"stonith-enabled": "false"}) == ["stonith-watchdog-timeout"]
    assert cib.nvpairs_to_delete("", render.OPTIONAL_PROPERTIES, {}) == []


def test_a_re_deploy_keeps_the_operators_ban_and_move_and_drops_the_rest() -> None:
    """`crm_resource --ban` and `--move` constraints (ids `cli-...`) stay in the constraints a
    re-deploy writes, unless their resource is gone; anything else not rendered goes."""
    rendered = render.cib_configuration(LAB)
    wanted = cib.section(rendered, "constraints")
    resources = cib.section(rendered, "resources")
    ban = ('<rsc_location id="cli-ban-ldirectord-clone-on-lab2" rsc="ldirectord-clone" '
           'role="Started" node="lab2" score="-INFINITY"/>')
    move = ('<rsc_location id="cli-prefer-lvs-clone" rsc="lvs-clone" role="Promoted" '
            'node="lab1" score="INFINITY"/>')
    orphan = '<rsc_location id="cli-ban-gone-on-lab1" rsc="gone" node="lab1" score="-INFINITY"/>'
    stray = '<rsc_location id="by-hand" rsc="lvs-clone" node="lab3" score="-INFINITY"/>'
    live = wanted.replace("</constraints>", ban + move + orphan + stray + "</constraints>")
    kept = cib.with_operator_constraints(live, wanted, resources)
    assert cib.canonical(kept) == cib.canonical(
        wanted.replace("</constraints>", ban + move + "</constraints>"))
    # With nothing of the operator's, the rendered constraints unchanged: so a live CIB that
    # holds only a ban compares equal to what the deploy would write, and nothing is replaced.
    assert cib.with_operator_constraints(wanted, wanted, resources) == wanted
    with_ban = wanted.replace("</constraints>", ban + "</constraints>")
    assert cib.canonical(cib.with_operator_constraints(with_ban, wanted, resources)) == \
        cib.canonical(with_ban)
    assert cib.with_operator_constraints("", wanted, resources) == wanted
