"""`python -m lvsha`: check a spec, or print what lvsha renders from it.

Reads only the spec and the templates: nothing here touches the network or a node.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Callable

from lvsha import environments, render
from lvsha.spec import ClusterSpec
from lvsha.validate import SpecError

EXIT_BAD_SPEC = 2
RENDERERS: dict[str, Callable[[ClusterSpec], str]] = {
    "ldirectord.cf": render.ldirectord_cf,
    "cib.xml": render.cib_configuration,
    "corosync.conf": render.corosync_conf,
}


def _load_or_exit(target: str) -> ClusterSpec:
    try:
        if target.endswith(".py"):
            spec = runpy.run_path(target).get("SPEC")
            if not isinstance(spec, ClusterSpec):
                sys.exit(f"lvsha: {target} defines no SPEC = ClusterSpec(...)")
            return spec
        return environments.load(target)
    except SpecError as error:
        print(f"lvsha: {target}: {error}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_SPEC) from None
    except KeyError as error:
        print(f"lvsha: {error.args[0]}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_SPEC) from None


def _summary(spec: ClusterSpec) -> str:
    nodes = ", ".join(f"{n.name}={n.address}" for n in spec.nodes)
    services = ", ".join(f"{s.name} {s.protocol.value}/{s.port} {s.scheduler}"
                         for s in spec.services)
    return (f"{spec.name}: ok\n  nodes: {nodes}\n  vip: {spec.vip.address}/{spec.vip.prefix}"
            f" on {spec.nic}\n  services: {services}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lvsha", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a spec; exit 2 if it is bad")
    check.add_argument("target", help=f"environment ({', '.join(environments.NAMES)}) "
                       "or a .py file defining SPEC")
    show = commands.add_parser("render", help="print a file rendered from a spec")
    show.add_argument("target")
    show.add_argument("file", choices=sorted(RENDERERS))
    args = parser.parse_args(argv)

    spec = _load_or_exit(args.target)
    if args.command == "check":
        print(_summary(spec))
    else:
        sys.stdout.write(RENDERERS[args.file](spec))
    return 0
