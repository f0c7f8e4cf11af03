"""`python -m lvsha`: check a spec, print what lvsha renders from it, or ask a running
environment how it is.

`check` and `render` read only the spec and the templates; `status` reads the nodes over SSH
(`ops/status.py`), `diff` runs pyinfra's dry run of the deploy (`ops/drift.py`); neither
changes anything.
"""

from __future__ import annotations

import argparse
import json
import linecache
import runpy
import sys
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import NoReturn

from lvsha import drift, environments, render, status
from lvsha.spec import ClusterSpec
from lvsha.validate import SpecError

EXIT_BAD_SPEC = 2
RENDERERS: dict[str, Callable[[ClusterSpec], str]] = {
    "ldirectord.cf": render.ldirectord_cf,
    "cib.xml": render.cib_configuration,
    "corosync.conf": render.corosync_conf,
}


def _fail(message: str) -> NoReturn:
    print(f"lvsha: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_SPEC)


def _built_where(error: BaseException, source: Path) -> str:
    """``source:line: (the line)`` of the deepest frame in ``source`` that ``error`` left."""
    lines = [lineno for frame, lineno in traceback.walk_tb(error.__traceback__)
             if Path(frame.f_code.co_filename).resolve() == source.resolve()]
    if not lines:
        return str(source)
    text = linecache.getline(str(source), lines[-1]).strip()
    return f"{source}:{lines[-1]}: `{text}`"


def _explained(error: Exception) -> str:
    """The error in a spec's terms: a misspelt enum member gets the members it could be."""
    owner = getattr(error, "obj", None)
    if isinstance(error, AttributeError) and isinstance(owner, type) and issubclass(owner, Enum):
        members = ", ".join(f"{owner.__name__}.{m.name}" for m in owner)
        return f"{owner.__name__} has no member {error.name}; use one of {members}"
    return f"{type(error).__name__}: {error}"


def _load_or_exit(target: str) -> ClusterSpec:
    """The spec, or exit 2 with lvsha's own message (never a traceback): a spec file is
    Python, and building its SPEC may fail before any rule of the validator runs."""
    if target.endswith(".py"):
        source = Path(target)
        if not source.is_file():
            _fail(f"{target}: no such spec file")
    elif target in environments.NAMES:
        source = environments.source(target)
    else:
        _fail(f"unknown environment {target!r}; known: {', '.join(environments.NAMES)}")
    try:
        spec = (runpy.run_path(target).get("SPEC") if target.endswith(".py")
                else environments.load(target))
    except SpecError as error:
        _fail(f"{target}: {error}")
    except SyntaxError as error:
        _fail(f"{error.filename}:{error.lineno}: not valid Python: {error.msg}")
    except Exception as error:  # noqa: BLE001 - any error building SPEC is the spec's
        _fail(f"{_built_where(error, source)}: building SPEC failed: {_explained(error)}")
    if not isinstance(spec, ClusterSpec):
        _fail(f"{target} defines no SPEC = ClusterSpec(...)")
    return spec


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
    ask = commands.add_parser("status", help="how the running environment is: exit 0 healthy, "
                              "1 degraded, 2 down or unreachable")
    ask.add_argument("target")
    ask.add_argument("--json", action="store_true", help="the report as JSON, for scripts")
    compare = commands.add_parser("diff", help="what a deploy would change on each node, "
                                  "changing nothing: exit 0 nothing, 1 something, 2 the dry "
                                  "run failed (a node unreachable)")
    compare.add_argument("target")
    args = parser.parse_args(argv)

    spec = _load_or_exit(args.target)
    if args.command == "check":
        print(_summary(spec))
    elif args.command == "status":
        from ops import status as reading  # the only command that touches the nodes
        report = reading.report(spec)
        print(json.dumps(report.as_json(), indent=2) if args.json
              else status.text(spec, report))
        return int(report.verdict)
    elif args.command == "diff":
        from ops import drift as dry_run  # runs pyinfra --dry against the nodes
        try:
            changes = dry_run.plan(spec)
        except dry_run.DryRunFailed as failed:
            print(f"lvsha: {failed}", file=sys.stderr)
            return 2
        print(drift.text(spec.name, changes))
        return 1 if changes else 0
    else:
        sys.stdout.write(RENDERERS[args.file](spec))
    return 0
