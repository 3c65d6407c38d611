"""Which availability zones the subnets go in: chosen by zone ID, never one EKS refuses, and stable across runs.

Zone names (us-east-1a) map to different physical zones in each account; zone IDs (use1-az1) do not. EKS refuses
control-plane subnets in a few zone IDs (CreateCluster fails with UnsupportedAvailabilityZoneException), so a choice
by name works in one account and fails in the next. And a choice recomputed from the region's current list moves
subnets whenever a zone is impaired or a new one is added: a moved subnet is a replaced subnet, under a cluster,
nodes and a cache. So the zones of the live subnets are kept, a pinned list (``availabilityZoneIds``) wins for new
ones, and a choice that would move a live subnet is refused unless ``allowSubnetMove`` says so.

Everything but ``live_subnet_zones`` is a pure function, checked without Pulumi.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
from config import PROJECT, ConfigError

# Zone IDs where EKS does not accept cluster (control-plane) subnets, per region. Source: Amazon EKS User Guide,
# "View Amazon EKS networking requirements for VPC and subnets", subnet requirements for clusters
# (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html), as of 2026-12-07: us-east-1 use1-az3,
# us-west-1 usw1-az2, ca-central-1 cac1-az3. The same three appear in AWS re:Post's "EKS cluster creation errors".
EKS_UNSUPPORTED_ZONE_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az3",),
    "us-west-1": ("usw1-az2",),
    "ca-central-1": ("cac1-az3",),
}


def supported(region: str, zone_id: str) -> bool:
    return zone_id not in EKS_UNSUPPORTED_ZONE_IDS.get(region, ())


def choose_zone_ids(
    needed: int,
    region: str,
    available: Sequence[str],
    known: Sequence[str],
    live: Mapping[int, str],
    pinned: Sequence[str] = (),
    allow_move: bool = False,
) -> list[str]:
    """The zone ID of each subnet index, in order.

    ``available``: the zone IDs the region reports available now; ``known``: all of its regular zone IDs, whatever
    their state; ``live``: the zone ID each existing private subnet is in, by index; ``pinned``: the config's list.
    A new index takes the pinned ID, else the first available supported ID (by ID, so the choice is the same in every
    account and every run) not already used.
    """
    for zone_id in pinned:
        if zone_id not in known:
            raise ConfigError(
                f"{PROJECT}:availabilityZoneIds: {zone_id!r} is not a zone ID of {region} "
                f"(its zones: {', '.join(sorted(known))})"
            )
        if not supported(region, zone_id):
            raise ConfigError(
                f"{PROJECT}:availabilityZoneIds: EKS does not accept cluster subnets in {zone_id}; choose others of "
                f"{', '.join(z for z in sorted(known) if supported(region, z))}"
            )
    if pinned and len(pinned) < needed:
        raise ConfigError(
            f"{PROJECT}:availabilityZoneIds: the plan spreads over {needed} zones but {len(pinned)} are pinned; "
            f"pin {needed} zone IDs"
        )
    candidates = sorted(z for z in available if supported(region, z))
    chosen: list[str] = []
    for index in range(needed):
        if pinned:
            zone_id = pinned[index]
        elif index in live and live[index] not in chosen:
            zone_id = live[index]
        else:
            spare = [z for z in candidates if z not in chosen and z not in live.values()]
            if not spare:
                raise ConfigError(
                    f"{PROJECT}:assumptions: availability_zones: the plan spreads over {needed} zones but {region} "
                    f"offers {len(set(candidates) | set(live.values()))} available zones EKS supports"
                )
            zone_id = spare[0]
        chosen.append(zone_id)
    moved = [
        (index, live[index], chosen[index]) for index in range(needed) if index in live and live[index] != chosen[index]
    ]
    if moved and not allow_move:
        index, old, new = moved[0]
        raise ConfigError(
            f"{PROJECT}:availabilityZoneIds: private subnet {index} is in {old} and would move to {new}, replacing "
            f"its subnets and everything in them; pin {', '.join(live[i] for i in sorted(live))} or set "
            f"{PROJECT}:allowSubnetMove true"
        )
    return chosen


def subnet_index(cidr: str, private_cidrs: Sequence[str]) -> int | None:
    """Which subnet of ``subnet_cidrs`` a live subnet is: the CIDRs are fixed by index."""
    network = str(ipaddress.ip_network(cidr, strict=False))
    return private_cidrs.index(network) if network in private_cidrs else None


def live_subnet_zones(
    cluster_name: str, private_cidrs: Sequence[str], opts: pulumi.InvokeOptions | None = None
) -> dict[int, str]:
    """The zone ID of each private subnet this stack already has, by index; empty on the first `up`.

    Found by the tags the subnets carry (the cluster's, and the internal load balancer role only private ones have).
    """
    ids = aws.ec2.get_subnets(
        filters=[
            {"name": f"tag:kubernetes.io/cluster/{cluster_name}", "values": ["shared"]},
            {"name": "tag:kubernetes.io/role/internal-elb", "values": ["1"]},
        ],
        opts=opts,
    ).ids
    found: dict[int, str] = {}
    for subnet_id in ids:
        subnet = aws.ec2.get_subnet(id=subnet_id, opts=opts)
        index = subnet_index(subnet.cidr_block, private_cidrs)
        if index is not None:
            found[index] = subnet.availability_zone_id
    return found
