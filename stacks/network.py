"""The VPC the cluster, the table's clients and the cache live in: private subnets for everything, NAT out."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
from config import PROJECT, ConfigError
from zones import choose_zone_ids, live_subnet_zones

from sizing.plan import NetworkPlan

MAX_ZONES = 6
# AWS keeps the first four addresses of every subnet and its last (VPC user guide, "Subnet CIDR blocks").
RESERVED_PER_SUBNET = 5
# The widest VPC the program accepts (config._vpc_cidr): past it, only a smaller load or another stack helps.
WIDEST_PREFIX = 16


def subnet_cidrs(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private and public CIDRs, one each per zone.

    With the VPC CNI every pod takes a VPC address, so the private subnets get almost all of the space (an eighth of
    the VPC each); the public ones only hold NAT gateways and load balancer nodes and share the last eighth.
    """
    if not 1 <= zones <= MAX_ZONES:
        raise ValueError(f"between 1 and {MAX_ZONES} availability zones, not {zones}")
    network = ipaddress.IPv4Network(vpc_cidr)
    eighths = list(network.subnets(prefixlen_diff=3))
    private = [str(block) for block in eighths[:zones]]
    public = [str(block) for block in list(eighths[-1].subnets(prefixlen_diff=3))[:zones]]
    return private, public


def private_capacity(vpc_cidr: str, zones: int) -> int:
    """Addresses the private subnets of ``subnet_cidrs`` can hand out: nodes, pods (VPC CNI), the cache, EKS ENIs."""
    private, _ = subnet_cidrs(vpc_cidr, zones)
    return sum(ipaddress.IPv4Network(block).num_addresses - RESERVED_PER_SUBNET for block in private)


def require_address_space(plan: NetworkPlan, vpc_cidr: str) -> None:
    """Fail before anything is declared when the max fleet's pods and nodes cannot all get a VPC address.

    Otherwise it would fail much later and piecemeal, at the very peak the plan was sized for: once a subnet runs
    dry, pods stay in ContainerCreating and new nodes cannot get their addresses. The count is the plan's estimate
    (the whole ENIs the VPC CNI attaches for the pods, one warm beyond them on every node); the cache, the control
    plane's and the load balancers' interfaces take a few more, hence "about"."""
    needed = plan.vpc_ips_max
    held = private_capacity(vpc_cidr, plan.availability_zones)
    if needed <= held:
        return
    wider = (
        f"widen {PROJECT}:vpcCidr (up to /{WIDEST_PREFIX}), "
        if ipaddress.IPv4Network(vpc_cidr).prefixlen > WIDEST_PREFIX
        else ""
    )
    raise ConfigError(
        f"{PROJECT}:vpcCidr: the plan's max fleet needs about {needed:,} VPC addresses but the private subnets of "
        f"{vpc_cidr} hold {held:,}; {wider}lower {PROJECT}:concurrentUsers, raise assumptions.backend.users_per_pod, "
        f"or split the load across stacks"
    )


class Network(pulumi.ComponentResource):
    """One VPC over the plan's availability zones; NAT gateways as the plan counts them (shared or one per zone).

    Nodes, the cache and the EKS control plane's interfaces sit in private subnets; only NAT gateways and internet
    facing load balancers use the public ones.
    """

    def __init__(
        self,
        name: str,
        plan: NetworkPlan,
        cidr: str,
        cluster_name: str,
        region: str,
        pinned_zone_ids: Sequence[str] = (),
        allow_subnet_move: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        invoke = pulumi.InvokeOptions(parent=self)
        # Local and Wavelength zones are opt-in and lack EKS/ElastiCache: keep to the region's regular zones.
        regular: list[aws.GetAvailabilityZonesFilterArgsDict] = [
            {"name": "opt-in-status", "values": ["opt-in-not-required"]}
        ]
        every = aws.get_availability_zones(filters=regular, opts=invoke)
        available = aws.get_availability_zones(state="available", filters=regular, opts=invoke).zone_ids
        if len(every.zone_ids) < plan.availability_zones:
            raise pulumi.RunError(
                f"chat-infra:assumptions: availability_zones: the plan spreads over {plan.availability_zones} "
                f"zones but the region offers {len(every.zone_ids)}"
            )
        private_cidrs, public_cidrs = subnet_cidrs(cidr, plan.availability_zones)
        # By zone ID, keeping the live subnets' zones (zones.py): names differ per account, IDs do not.
        self.zone_ids = choose_zone_ids(
            plan.availability_zones,
            region,
            available=available,
            known=every.zone_ids,
            live=live_subnet_zones(cluster_name, private_cidrs, opts=invoke),
            pinned=pinned_zone_ids,
            allow_move=allow_subnet_move,
        )
        name_of = dict(zip(every.zone_ids, every.names, strict=True))
        zones = [name_of[zone_id] for zone_id in self.zone_ids]
        self.zone_names = zones
        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cidr,
            # EKS nodes register by private DNS name and the cluster endpoint resolves privately: both need DNS.
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        # The default security group admits all traffic between its members: empty it so nothing relies on it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=child)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
            tags={"Name": f"{name}-public"},
            opts=child,
        )
        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        for index, zone in enumerate(zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone=zone,
                # Nothing launched here needs a public address by default: NAT gets an Elastic IP, the LB its own.
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{zone}", "kubernetes.io/role/elb": "1", **cluster_tag},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            self.public_subnets.append(public)
            self.private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{index}",
                    vpc_id=self.vpc.id,
                    cidr_block=private_cidrs[index],
                    availability_zone=zone,
                    tags={"Name": f"{name}-private-{zone}", "kubernetes.io/role/internal-elb": "1", **cluster_tag},
                    opts=child,
                )
            )

        self.nat_gateways: list[aws.ec2.NatGateway] = []
        for index in range(plan.nat_gateways):
            eip = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", tags={"Name": f"{name}-nat-{index}"}, opts=child)
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=self.public_subnets[index % len(self.public_subnets)].id,
                    tags={"Name": f"{name}-nat-{index}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        private_route_tables: list[aws.ec2.RouteTable] = []
        for index, private in enumerate(self.private_subnets):
            # One NAT per zone keeps a zone's egress alive when another zone fails; a shared one is cheaper.
            nat = self.nat_gateways[index % len(self.nat_gateways)]
            route_table = aws.ec2.RouteTable(
                f"{name}-private-rt-{index}",
                vpc_id=self.vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                tags={"Name": f"{name}-private-{zones[index]}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}", subnet_id=private.id, route_table_id=route_table.id, opts=child
            )
            private_route_tables.append(route_table)

        # The backend's table traffic stays on AWS's network instead of crossing the NAT gateways, whose per-GB
        # processing charge the plan does not count for it. A gateway endpoint is free and adds a route for
        # DynamoDB's prefix list to each private route table.
        self.dynamodb_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-dynamodb",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in private_route_tables],
            tags={"Name": f"{name}-dynamodb"},
            opts=child,
        )

        self.vpc_id = self.vpc.id
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "dynamodbEndpointId": self.dynamodb_endpoint.id,
                "zoneIds": self.zone_ids,
            }
        )
