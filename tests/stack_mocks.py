"""Run the Pulumi program in ``stacks/`` against mocks and hand back everything it declared.

No assertion runs inside an ``apply``: the mocks record every resource (inputs and options) and the stack outputs,
and the tests assert on those records after the program has finished. ``run_program`` refuses to return a run
that recorded nothing, so a test cannot pass by never looking.

Also loaded by ``stack_driver.py`` by file path (not import), inside a subprocess whose sys.path holds only stacks/.
"""

from __future__ import annotations

import asyncio
import json
import logging
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

REPO_ROOT = Path(__file__).resolve().parent.parent
STACKS_DIR = REPO_ROOT / "stacks"
PROJECT = "chat-infra"
STACK = "test"
ACCOUNT_ID = "123456789012"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
ACCOUNT = ACCOUNT_ID
# Who the mocked AWS provider runs as: a role assumed by CI, as `aws sts get-caller-identity` reports it.
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/deployer"
DEPLOYER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-run"
# What the edge's mocks answer: the ALB the controller made, ELB's zone for aliases to it, a certificate's id.
ALB_HOSTNAME = "k8s-chatapp-frontend-0123456789-1234567890.us-east-1.elb.amazonaws.com"
ALB_ZONE_ID = "Z35SXDOTRQ7X7K"
CERTIFICATE_UUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
# Every run serves HTTPS with this certificate unless its config says how the edge is served.
EDGE_KEYS = ("certificateArn", "domainName", "hostedZoneId", "allowPlainHttp")


def default_certificate(region: str) -> str:
    return f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{CERTIFICATE_UUID}"


# A generated secret's value, as the random provider would return it.
MOCK_PASSWORD = "m0ckAuthT0ken" * 5


def addon_version(addon: str, kubernetes_version: str) -> str:
    """EKS's default release of an add-on for a Kubernetes minor: distinct per add-on and per minor."""
    return f"v1.{kubernetes_version.split('.')[1]}.0-{addon}-eksbuild.1"


def use_stack_modules() -> None:
    """Make stacks/'s modules importable by the tests the way the program imports them: as top-level modules.

    Appended, not prepended, so they never shadow anything else; running the program imports the same modules.
    """
    if str(STACKS_DIR) not in sys.path:
        sys.path.append(str(STACKS_DIR))


@dataclass(frozen=True)
class LiveNodeGroup:
    """A node group as DescribeNodegroup reports it."""

    name: str
    instance_types: tuple[str, ...]
    desired: int
    min_size: int
    max_size: int


@dataclass(frozen=True)
class LiveSubnet:
    id: str
    cidr_block: str
    zone_id: str


class UnmockedCall(AssertionError):
    """The program made a provider call these mocks do not answer: mock it deliberately, do not let it pass."""


@dataclass
class Recorded:
    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str
    custom: bool
    urn: str = ""
    parent: str = ""
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    delete_before_replace: bool = False


class StackMocks(pulumi.runtime.Mocks):
    """Answers the provider calls the program makes and invents the outputs AWS would compute."""

    def __init__(
        self,
        zones: list[str] = ZONES,
        deployer: str = DEPLOYER_ROLE,
        zone_ids: list[str] | None = None,
        impaired: tuple[str, ...] = (),
        node_groups: dict[str, list[LiveNodeGroup]] | None = None,
        subnets: list[LiveSubnet] | None = None,
        endpoint_zones: list[str] | None = None,
    ) -> None:
        self.zones = zones
        # The zones an interface endpoint service (Bedrock's) is offered in: every zone unless a test says otherwise.
        self.endpoint_zones = zones if endpoint_zones is None else endpoint_zones
        self.deployer = deployer
        # By default each name maps to the ID of the same letter; real accounts shuffle them (zone_ids=...).
        self.zone_ids = zone_ids or [f"use1-az{i}" for i in range(1, len(zones) + 1)]
        # Zone IDs the region reports impaired: absent from the state=available list only.
        self.impaired = impaired
        # What already exists in the account: clusters by name with their node groups, and this stack's subnets.
        self.node_groups = node_groups or {}
        self.subnets = subnets or []
        self.resources: list[Recorded] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, args.args))
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            pairs = list(zip(self.zones, self.zone_ids, strict=True))
            if args.args.get("state") == "available":
                pairs = [(name, zone_id) for name, zone_id in pairs if zone_id not in self.impaired]
            return {"names": [n for n, _ in pairs], "zoneIds": [z for _, z in pairs], "id": "us-east-1"}
        if args.token == "aws:ec2/getVpcEndpointService:getVpcEndpointService":
            service = args.args["serviceName"]
            return {
                "serviceName": service,
                "serviceType": "Interface",
                "availabilityZones": list(self.endpoint_zones),
                # com.amazonaws.REGION.NAME is reached at NAME.REGION.amazonaws.com
                "privateDnsName": ".".join(reversed(service.split(".")[2:])) + ".amazonaws.com",
                "id": service,
            }
        if args.token == "aws:eks/getClusters:getClusters":
            return {"names": list(self.node_groups), "id": "us-east-1"}
        if args.token == "aws:eks/getNodeGroups:getNodeGroups":
            groups = self.node_groups[args.args["clusterName"]]
            return {"clusterName": args.args["clusterName"], "names": [g.name for g in groups], "id": "x"}
        if args.token == "aws:eks/getNodeGroup:getNodeGroup":
            group = next(g for g in self.node_groups[args.args["clusterName"]] if g.name == args.args["nodeGroupName"])
            return {
                "clusterName": args.args["clusterName"],
                "nodeGroupName": group.name,
                "instanceTypes": list(group.instance_types),
                "scalingConfigs": [
                    {"desiredSize": group.desired, "minSize": group.min_size, "maxSize": group.max_size}
                ],
                "status": "ACTIVE",
                "id": group.name,
            }
        if args.token == "aws:ec2/getSubnets:getSubnets":
            return {"ids": [s.id for s in self.subnets], "id": "us-east-1"}
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet = next(s for s in self.subnets if s.id == args.args["id"])
            return {"id": subnet.id, "cidrBlock": subnet.cidr_block, "availabilityZoneId": subnet.zone_id}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            session = self.deployer.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/ci-run"
            arn = session if ":role/" in self.deployer else self.deployer
            return {"accountId": ACCOUNT, "arn": arn, "userId": "AROAEXAMPLE:ci-run", "id": ACCOUNT}
        if args.token == "aws:iam/getSessionContext:getSessionContext":
            arn = args.args["arn"]
            return {
                "arn": arn,
                "issuerArn": self.deployer,
                "issuerId": "AROAEXAMPLE",
                "issuerName": "deployer",
                "sessionName": "ci-run" if ":assumed-role/" in arn else "",
                "id": arn,
            }
        if args.token == "aws:lb/getHostedZoneId:getHostedZoneId":
            # ELB's canonical zone for application load balancers in us-east-1 (docs: "Elastic Load Balancing
            # endpoints and quotas").
            return {"id": ALB_ZONE_ID, "loadBalancerType": args.args.get("loadBalancerType"), "region": "us-east-1"}
        if args.token == "aws:eks/getAddonVersion:getAddonVersion":
            addon, minor = args.args["addonName"], args.args["kubernetesVersion"]
            return {"addonName": addon, "kubernetesVersion": minor, "version": addon_version(addon, minor), "id": addon}
        raise UnmockedCall(f"unmocked provider call {args.token} {args.args}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs), args.provider or "", bool(args.custom)))
        physical = args.inputs.get("name") or f"{args.name}-1a2b3c"
        state = {**args.inputs, "arn": f"arn:aws:mock:::{args.typ}/{physical}"}
        if args.typ.startswith("aws:") and "name" not in args.inputs:
            state["name"] = physical
        if args.typ == "aws:eks/cluster:Cluster":
            state.update(
                endpoint=f"https://{physical}.eks.example.com",
                certificateAuthority={"data": "Q0EtREFUQQ=="},
                vpcConfig={**args.inputs.get("vpcConfig", {}), "clusterSecurityGroupId": "sg-cluster"},
            )
        elif args.typ == "aws:eks/nodeGroup:NodeGroup":
            state["nodeGroupName"] = args.inputs.get("nodeGroupName") or physical
        elif args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        elif args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = MOCK_PASSWORD[: int(args.inputs["length"])]
        elif args.typ == "aws:acm/certificate:Certificate":
            domain = args.inputs["domainName"]
            state["domainValidationOptions"] = [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_0123456789abcdef.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_fedcba9876543210.acm-validations.aws.",
                }
            ]
            state["arn"] = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{CERTIFICATE_UUID}"
        elif args.typ == "aws:route53/record:Record":
            state["fqdn"] = str(args.inputs["name"]).rstrip(".")
        elif args.typ == "kubernetes:networking.k8s.io/v1:Ingress":
            state["status"] = {"loadBalancer": {"ingress": [{"hostname": ALB_HOSTNAME}]}}
        elif args.typ == "aws:elasticache/replicationGroup:ReplicationGroup":
            state.update(
                primaryEndpointAddress=f"master.{physical}.cache.example.com",
                configurationEndpointAddress=f"clustercfg.{physical}.cache.example.com",
            )
        return f"{args.name}-id", state


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor drops resource options (protect, ignoreChanges, parent); these tests check them."""

    def __init__(self, mocks: StackMocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, dict[str, Any]] = {}
        self.urns: list[str] = []

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        self.urns.append(urn)
        self.options[urn] = {
            "parent": request.parent,
            "protect": request.protect,
            "ignore_changes": list(request.ignoreChanges),
            "dependencies": list(request.dependencies),
            "delete_before_replace": request.deleteBeforeReplace,
        }
        return super().RegisterResource(request)


class EngineLog(logging.Handler):
    """What the program logs through ``pulumi.log`` (the mock engine forwards it to a Python logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname, record.getMessage()))


@dataclass
class Run:
    resources: list[Recorded]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    calls: list[tuple[str, dict[str, Any]]]
    urns: list[str]
    log: list[tuple[str, str]]

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Recorded:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Recorded:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]


def config_values(values: dict[str, Any]) -> dict[str, str]:
    """As the CLI passes them: namespaced keys, every value a string, objects as JSON."""
    out = {}
    for key, value in values.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, bool):
            out[full] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            out[full] = json.dumps(value)
        else:
            out[full] = str(value)
    return out


def run_program(
    config: dict[str, Any],
    program: Path | str = STACKS_DIR,
    region: str | None = "us-east-1",
    mocks: StackMocks | None = None,
    secret_keys: list[str] | None = None,
) -> Run:
    """Run the program once, the current Pulumi way: a fresh event loop and fresh settings, mocks, preview=False.

    Pass ``mocks`` to inspect what was recorded when the program fails.
    """
    logger = logging.getLogger(f"stack_mocks.engine.{id(config)}")
    logger.propagate = False
    engine_log = EngineLog()
    logger.addHandler(engine_log)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.reset_options(project=PROJECT, stack=STACK, preview=False)
        values = {**({"aws:region": region} if region else {}), **config}
        if not any(key in values or f"{PROJECT}:{key}" in values for key in EDGE_KEYS):
            values["certificateArn"] = default_certificate(str(values.get("aws:region") or "us-east-1"))
        pulumi.runtime.set_all_config(
            config_values(values), [key if ":" in key else f"{PROJECT}:{key}" for key in (secret_keys or [])]
        )
        mocks = mocks if mocks is not None else StackMocks()
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor, logger=logger)
        collected: dict[str, Any] = {}
        secret: set[str] = set()

        @pulumi.runtime.test
        def program_run():
            runpy.run_path(str(program), run_name="__main__")
            root = pulumi.runtime.settings.get_root_resource()

            async def collect() -> None:
                for key, value in root.outputs.items():
                    output = pulumi.Output.from_input(value)
                    collected[key] = await output.future()
                    if await output.is_secret():
                        secret.add(key)

            return asyncio.ensure_future(collect())

        program_run()
        # Outputs are resolved only after every resource registration has settled (program_run awaited them).
        resources = list(mocks.resources)
        for record in resources:
            urn = next(
                u
                for u in monitor.urns
                if u.split("::")[-1] == record.name and u.split("::")[-2].split("$")[-1] == record.typ
            )
            record.urn = urn
            opts = monitor.options.get(urn, {})
            record.parent = opts.get("parent", "")
            record.protect = opts.get("protect", False)
            record.ignore_changes = opts.get("ignore_changes", [])
            record.dependencies = opts.get("dependencies", [])
            record.delete_before_replace = opts.get("delete_before_replace", False)
        if not resources or not collected:
            raise AssertionError("the program ran but nothing was recorded: the checks would have checked nothing")
        return Run(resources, collected, secret, list(mocks.calls), list(monitor.urns), list(engine_log.records))
    finally:
        logger.removeHandler(engine_log)
        pulumi.runtime.reset_options(project=PROJECT, stack=STACK, preview=False)
        asyncio.set_event_loop(None)
        loop.close()
