"""Write lvsha/data/fence_agents.json from the fence agents installed here and pacemaker-fenced.

lvsha's spec check reads this file instead of running agents, so `python -m lvsha check` stays
pure and gives the same answer on any machine. The nodes run Debian 12's fence-agents; run this
on Debian 12 after `make setup`, and tests/test_fence.py fails when the file and the installed
agents disagree.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from lvsha import fence

FENCED = "/usr/lib/pacemaker/pacemaker-fenced"


def parameters(metadata_xml: str) -> dict[str, dict[str, object]]:
    """name -> {required, obsoletes} from an agent's OCF-style meta-data."""
    found: dict[str, dict[str, object]] = {}
    for parameter in ET.fromstring(metadata_xml).iterfind("./parameters/parameter"):
        entry: dict[str, object] = {"required": parameter.get("required") == "1"}
        if parameter.get("obsoletes"):
            entry["obsoletes"] = parameter.get("obsoletes")
        found[parameter.get("name", "")] = entry
    return found


def metadata(command: list[str]) -> str | None:
    result = subprocess.run([*command], capture_output=True, text=True, timeout=60)
    return result.stdout if result.returncode == 0 and "<parameters>" in result.stdout else None


def collect() -> dict[str, object]:
    agents: dict[str, object] = {}
    for path in sorted(Path("/usr/sbin").glob("fence_*")):
        text = metadata([str(path), "-o", "metadata"])
        if text is not None:  # fence_ack_manual is a shell script with no meta-data
            agents[path.name] = parameters(text)
    fenced = metadata([FENCED, "metadata"])
    if fenced is None:
        sys.exit(f"{FENCED} gave no meta-data; install pacemaker")
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "fence-agents"],
                             capture_output=True, text=True, check=True).stdout
    return {"fence_agents_version": version, "pacemaker": sorted(parameters(fenced)),
            "agents": agents}


def dump(data: dict[str, object]) -> str:
    """JSON with one agent per line: diffs of a new fence-agents release stay readable."""
    agents = data["agents"]
    assert isinstance(agents, dict)
    lines = [f" {json.dumps(name)}: {json.dumps(agents[name], sort_keys=True)}"
             for name in sorted(agents)]
    head = {key: value for key, value in data.items() if key != "agents"}
    return (json.dumps(head, sort_keys=True)[:-1] + ', "agents": {\n' + ",\n".join(lines)
            + "\n}}\n")


if __name__ == "__main__":
    fence.DATA.write_text(dump(collect()))
    print(f"wrote {fence.DATA}")
