"""The keepalived reference: the same spec rendered for keepalived (VRRP + its IPVS virtual
servers in DR mode), so that lvsha's failover can be measured against the usual alternative
in the same lab with the same probe. Pure: spec in, file text out.

keepalived keeps the IPVS table on every node, the backups included. Where every node is also a
real server, a backup would schedule the traffic the master forwarded it a second time. The
usual cure (LVS-HOWTO, "director as realserver") is used: virtual servers match a firewall
mark, and only packets that did not come from a cluster node's MAC get the mark.
"""

from __future__ import annotations

import zlib

from lvsha import footprint
from lvsha.spec import ClusterSpec, ConnectCheck, ExternalCheck, HttpCheck, Node, Service
from lvsha.templates import render

ADVERT_INT_S = 1


def virtual_router_id(spec: ClusterSpec) -> int:
    """1-255, stable per cluster name, so two clusters on one segment differ by default."""
    return 1 + zlib.crc32(spec.name.encode()) % 255


def firewall_mark(spec: ClusterSpec, service: Service) -> int:
    return 1 + spec.services.index(service)


def priority(spec: ClusterSpec, node: Node) -> int:
    """The first node is preferred; nopreempt keeps a master once elected (like stickiness).
    Distinct and inside VRRP's 1-254 for up to validate.MAX_NODES nodes."""
    return 200 - 5 * spec.nodes.index(node)


def _check(service: Service) -> dict[str, str]:
    """The real_server check block's name and body for a service's health check."""
    check, timeout = service.check, service.check_timeout
    if isinstance(check, ConnectCheck):
        return {"kind": "TCP_CHECK",
                "body": f"connect_port {service.port}\nconnect_timeout {timeout}"}
    if isinstance(check, HttpCheck):
        return {"kind": "SSL_GET" if check.https else "HTTP_GET",
                "body": f"connect_port {service.port}\nconnect_timeout {timeout}\n"
                        f'url {{\n    path {check.path}\n    regex "{check.pattern}"\n}}'}
    assert isinstance(check, ExternalCheck)
    return {"kind": "MISC_CHECK", "body": f'misc_path "{check.command}"\nmisc_timeout {timeout}'}


def keepalived_conf(spec: ClusterSpec, node: Node) -> str:
    return render(
        "keepalived/keepalived.conf.j2", spec=spec, node=node,
        peers=[n for n in spec.nodes if n != node],
        vrid=virtual_router_id(spec), priority=priority(spec, node), advert_int=ADVERT_INT_S,
        role_script=footprint.KEEPALIVED_ROLE_SCRIPT,
        services=[{"service": s, "mark": firewall_mark(spec, s), **_check(s)}
                  for s in spec.services])


def nftables_conf(spec: ClusterSpec) -> str:
    return render(
        "keepalived/nftables.conf.j2", spec=spec,
        services=[{"service": s, "mark": firewall_mark(spec, s)} for s in spec.services])
