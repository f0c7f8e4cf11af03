"""lvsha.footprint is the one home of what lvsha puts on a node: the agents' own meta-data and
the rendered CIB agree with it, and every path a deploy writes is one of its names."""

from __future__ import annotations

import ast
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lvsha import environments, footprint, render
from lvsha.paths import FILES, REPO

LVS_AGENT_SOURCE = FILES / "ocf" / "lvs"
OCF_ROOT = Path("/usr/lib/ocf")


def meta_data(agent: Path) -> ET.Element:
    result = subprocess.run([str(agent), "meta-data"], capture_output=True, text=True,
                            timeout=30, env={**os.environ, "OCF_ROOT": str(OCF_ROOT)})
    assert result.returncode == 0, result.stderr
    return ET.fromstring(result.stdout)


def advertised(agent: ET.Element) -> dict[tuple[str, str | None], tuple[int, int]]:
    """(action, role) -> (timeout s, interval s) from an agent's <actions>."""
    def seconds(value: str | None) -> int:
        return int((value or "0s").removesuffix("s"))
    return {(a.get("name", ""), a.get("role")): (seconds(a.get("timeout")),
                                                 seconds(a.get("interval")))
            for a in agent.iter("action")}


def configured(resource: footprint.Resource) -> dict[tuple[str, str | None], tuple[int, int]]:
    return {(o.name, o.role): (o.timeout_s, o.interval_s) for o in resource.operations}


def test_the_lvs_agent_advertises_the_operations_lvsha_configures() -> None:
    actions = advertised(meta_data(LVS_AGENT_SOURCE))
    wanted = configured(footprint.LVS)
    assert {key: actions.get(key) for key in wanted} == wanted
    # No other start/stop/promote/demote/monitor variant that the CIB would not configure.
    lifecycle = {"start", "stop", "promote", "demote", "monitor"}
    assert {key for key in actions if key[0] in lifecycle} == set(wanted)


@pytest.mark.parametrize("env", environments.NAMES)
def test_the_rendered_cib_configures_each_resource_as_the_footprint_says(env: str) -> None:
    cib = ET.fromstring(render.cib_configuration(environments.load(env)))
    for resource, agent_file in ((footprint.LVS, LVS_AGENT_SOURCE),
                                 (footprint.LDIRECTORD, Path(footprint.LDIRECTORD.agent.path))):
        primitive = cib.find(f".//primitive[@id='{resource.id}']")
        assert primitive is not None, resource.id
        assert (primitive.get("class"), primitive.get("provider"), primitive.get("type")) == \
            tuple(resource.agent.name.split(":"))
        ops = {(op.get("name", ""), op.get("role")):
               (int(op.get("timeout", "").removesuffix("s")),
                int(op.get("interval", "").removesuffix("s")))
               for op in primitive.iter("op")}
        assert ops == configured(resource)
        meta = {(n.get("name"), n.get("value"))
                for n in primitive.iterfind("./meta_attributes/nvpair")}
        assert meta == set(resource.meta)
        # Every parameter the CIB sets is one the agent knows, and none it requires is missing.
        parameters = {p.get("name"): p.get("required") == "1"
                      for p in meta_data(agent_file).iter("parameter")}
        given = {n.get("name") for n in primitive.iterfind("./instance_attributes/nvpair")}
        assert given <= set(parameters), f"{resource.id}: unknown {given - set(parameters)}"
        assert {name for name, required in parameters.items() if required} <= given


def test_the_ldirectord_resource_reads_the_file_the_deploy_writes() -> None:
    cib = ET.fromstring(render.cib_configuration(environments.load("lab")))
    configfile = cib.find(f".//primitive[@id='{footprint.LDIRECTORD.id}']"
                          "/instance_attributes/nvpair[@name='configfile']")
    assert configfile is not None and configfile.get("value") == footprint.LDIRECTORD_CF


# Keyword arguments by which pyinfra operations name a file they write on the node.
WRITTEN_PATH_KEYWORDS = {"dest", "path", "persist_file"}


def written_paths(module: Path) -> list[tuple[int, ast.expr]]:
    return [(node.lineno, keyword.value)
            for node in ast.walk(ast.parse(module.read_text()))
            if isinstance(node, ast.Call)
            for keyword in node.keywords if keyword.arg in WRITTEN_PATH_KEYWORDS]


def names_footprint(expression: ast.expr) -> bool:
    """The expression reads lvsha.footprint and spells no absolute path of its own."""
    parts = list(ast.walk(expression))
    reads = any(isinstance(p, ast.Attribute) and isinstance(p.value, ast.Name)
                and p.value.id == "footprint" for p in parts)
    literal = any(isinstance(p, ast.Constant) and isinstance(p.value, str)
                  and p.value.startswith("/") for p in parts)
    return reads and not literal


@pytest.mark.parametrize("module", sorted((REPO / "pyinfra_deploys").glob("*.py")),
                         ids=lambda p: p.name)
def test_every_path_a_deploy_writes_is_named_in_the_footprint(module: Path) -> None:
    bad = [f"{module.name}:{line}: {ast.unparse(value)}"
           for line, value in written_paths(module) if not names_footprint(value)]
    assert bad == []


def test_the_path_check_sees_the_deploys_writes() -> None:
    """The check above would pass vacuously if it found no write at all."""
    found = sum(len(written_paths(m)) for m in (REPO / "pyinfra_deploys").glob("*.py"))
    assert found >= 10
    assert not names_footprint(ast.parse('"/etc/x.conf"', mode="eval").body)
    assert not names_footprint(ast.parse('f"/etc/{footprint.X}"', mode="eval").body)
    assert names_footprint(ast.parse("footprint.unit_file(unit)", mode="eval").body)
