"""Day 2: a stack that already runs, changed by a new load, a new key or a zone going impaired.

The mocks report what AWS would report for the live stack (the node groups EKS runs and their desired sizes, the
subnets' zone IDs), so each `pulumi up` here sees what the previous one left. Expected values are worked out by hand
in each test from the plans' bounds (t3a.small 11-28 nodes at 1,000 users, 20-52 at 2,000, tests/test_plan_diff.py;
c6a.2xlarge 10-27 at 8,000) and from what one node of each type offers pods: the kubelet's allocatable CPU, 1,000 m per vCPU less
kube-reserved (60 m for the first core, 10 m the second, 5 m each the third and fourth, 2.5 m each above):
t3a.small (2 vCPU) 2,000 - 70 = 1,930 m; c6a.2xlarge (8 vCPU) 8,000 - 90 = 7,910 m.

Each test fails on the program before day 2 was handled (ignore_changes on the desired size, Pulumi-generated group
names, zones by name, no pod-template digests, no rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pulumi
import pytest
from stack_mocks import ACCOUNT, MOCK_PASSWORD, LiveNodeGroup, LiveSubnet, StackMocks, run_program, use_stack_modules

from sizing import Workload, calculate

use_stack_modules()
import node_groups as stack_node_groups
import zones as stack_zones

CLUSTER = "chat-infra-test"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SUBNET = "aws:ec2/subnet:Subnet"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
# The private subnets' CIDRs in the default 10.0.0.0/16: the first three eighths, by index.
PRIVATE_CIDRS = ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
MOVE = "node group {old} is replaced by {new}; pods move once the new nodes are Ready"


def warnings(run) -> list[str]:
    return [message for level, message in run.log if level == "WARNING"]


def group(run):
    (found,) = run.of_type(NODE_GROUP)
    return found


def up(users: int, live: list[LiveNodeGroup] | None = None, **config):
    """One `pulumi up` at ``users`` concurrent users against a cluster running ``live`` (None: no cluster yet)."""
    mocks = StackMocks(node_groups={CLUSTER: live} if live is not None else None)
    return run_program({"concurrentUsers": users, **config}, mocks=mocks)


def live_from(run, desired: int) -> list[LiveNodeGroup]:
    """What EKS runs after ``run``'s `up`, once the autoscaler has moved the group to ``desired``."""
    declared = group(run).inputs
    scaling = declared["scalingConfig"]
    return [
        LiveNodeGroup(
            name=declared["nodeGroupName"],
            instance_types=tuple(declared["instanceTypes"]),
            desired=desired,
            min_size=scaling["minSize"],
            max_size=scaling["maxSize"],
        )
    ]


# --- 1. the desired size ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_up():
    return up(1000)


def test_the_first_up_declares_the_minimum_and_ignores_nothing(first_up):
    declared = group(first_up)
    # 1,000 users: t3a.small, 11 to 28 nodes; no cluster exists, so the group starts at its minimum.
    assert declared.inputs["scalingConfig"] == {"minSize": 11, "maxSize": 28, "desiredSize": 11}
    assert declared.ignore_changes == []
    # The guard: with no cluster, its node groups are never asked for (DescribeNodegroup would fail).
    tokens = {token for token, _ in first_up.calls}
    assert "aws:eks/getClusters:getClusters" in tokens
    assert not tokens & {"aws:eks/getNodeGroups:getNodeGroups", "aws:eks/getNodeGroup:getNodeGroup"}


@pytest.mark.parametrize(
    ("live_desired", "declared"),
    [
        # 2,000 users: 20 to 52 nodes. The failure: EKS refuses a minimum of 20 above a desired size of 11.
        pytest.param(11, 20, id="below-the-new-minimum"),
        # The autoscaler's 30 lies inside [20, 52]: kept, not reset to 20 (which would terminate 10 nodes).
        pytest.param(30, 30, id="inside"),
        # Above the new maximum of 52 (a group from a larger plan): lowered to 52.
        pytest.param(60, 52, id="above-the-new-maximum"),
    ],
)
def test_the_live_desired_size_is_clamped_to_the_new_bounds(first_up, live_desired, declared):
    live = live_from(first_up, live_desired)
    run = up(2000, live)
    scaling = group(run).inputs["scalingConfig"]
    assert scaling == {"minSize": 20, "maxSize": 52, "desiredSize": declared}
    assert group(run).ignore_changes == []
    # The same type in the same zones: the same group, updated in place, nothing said about moving.
    assert group(run).inputs["nodeGroupName"] == live[0].name
    assert not [w for w in warnings(run) if w.startswith("node group ")]


def test_a_cluster_without_the_group_starts_it_at_the_minimum():
    run = up(2000, [])
    assert group(run).inputs["scalingConfig"]["desiredSize"] == 20
    assert "aws:eks/getNodeGroups:getNodeGroups" in {token for token, _ in run.calls}


# --- 2. a type change --------------------------------------------------------------------------------------------


def test_group_names_say_slot_and_type_and_change_only_with_what_forces_a_new_group(first_up):
    name = group(first_up).inputs["nodeGroupName"]
    assert re.fullmatch(r"workers-1-t3a-small-[0-9a-f]{6}", name)
    (workers,) = calculate(Workload(concurrent_users=2000, region="us-east-1")).nodes.groups
    zones = ["use1-az1", "use1-az2", "use1-az4"]
    # New bounds (20-52) keep the name; the architecture, the capacity type or the zones change it.
    assert stack_node_groups.physical_name(workers, "AL2023_x86_64_STANDARD", zones) == name
    assert stack_node_groups.physical_name(workers, "AL2023_ARM_64_STANDARD", zones) != name
    assert stack_node_groups.physical_name(workers, "AL2023_x86_64_STANDARD", [*zones[:2], "use1-az5"]) != name


def test_a_new_type_is_a_new_group_beside_the_old_one_starting_from_its_capacity(first_up):
    # The 2,000-user group at its maximum of 52 t3a.small nodes when the load goes to 8,000 (c6a.2xlarge, 10-27).
    live = live_from(first_up, 52)
    run = up(8000, live)
    new = group(run).inputs
    assert new["instanceTypes"] == ["c6a.2xlarge"]
    assert re.fullmatch(r"workers-1-c6a-2xlarge-[0-9a-f]{6}", new["nodeGroupName"])
    # 52 x 1,930 m = 100,360 m of pod CPU; / 7,910 m per c6a.2xlarge = 12.69, so 13 nodes, inside [10, 27].
    assert new["scalingConfig"] == {"minSize": 10, "maxSize": 27, "desiredSize": 13}
    # One line in the preview says what moves; the old group stays until the new one is ACTIVE.
    assert MOVE.format(old=live[0].name, new=new["nodeGroupName"]) in warnings(run)
    assert group(run).delete_before_replace is False
    # While both exist, scale-up grows the plan's group (priority 30), never the one about to go (10).
    priorities = run.named("autoscaler-release").inputs["values"]["expanderPriorities"]
    assert priorities == {"30": [f"^eks-{re.escape(new['nodeGroupName'])}-[0-9a-f-]+$"], "10": [".*"]}
    # Both carry the auto-discovery tags, so the autoscaler still sees (and may shrink) the old one.
    assert new["tags"][f"k8s.io/cluster-autoscaler/{CLUSTER}"] == "owned"


def test_the_pods_move_under_their_budgets_and_grace_periods(first_up):
    run = up(8000, live_from(first_up, 52))
    budgets = run.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    assert sorted(b.inputs["metadata"]["name"] for b in budgets) == ["backend", "frontend"]
    assert all(b.inputs["spec"]["maxUnavailable"] == "10%" for b in budgets)
    graces = {d.inputs["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] for d in run.of_type(DEPLOYMENT)}
    extra = run.named("autoscaler-release").inputs["values"]["extraArgs"]
    # The autoscaler's drain waits as long as the pods may take to finish their streams.
    assert graces == {extra["max-graceful-termination-sec"]} and min(graces) >= 30


def test_a_group_named_before_names_were_chosen_is_replaced_the_same_way():
    # Pulumi's own name for the group under the previous program: the component, the slot and a random suffix.
    legacy = LiveNodeGroup("cluster-workers-1-9f8e7d6", ("t3a.small",), 14, 10, 26)
    run = up(1000, [legacy])
    new = group(run).inputs
    # 14 nodes of the same type carry 14 nodes' CPU.
    assert new["scalingConfig"]["desiredSize"] == 14
    assert MOVE.format(old=legacy.name, new=new["nodeGroupName"]) in warnings(run)


def test_a_slot_the_plan_no_longer_has_is_named_as_removed():
    stale = LiveNodeGroup("workers-2-t3a-small-abcdef", ("t3a.small",), 5, 5, 26)
    run = up(1000, [stale])
    assert (
        "node group workers-2-t3a-small-abcdef is removed; its pods move to the remaining groups "
        "(PodDisruptionBudgets apply)"
    ) in warnings(run)


# --- 8. the walk of docs/deploy.md: 1,000 -> 2,000 -> 8,000 -> 1,000 ----------------------------------------------


def test_the_walk_from_1000_to_2000_to_8000_and_back_to_1000_users():
    # Step 1, 1,000 users, a fresh account: t3a.small from 11 nodes, nothing about moves.
    one = up(1000)
    assert group(one).inputs["scalingConfig"] == {"minSize": 11, "maxSize": 28, "desiredSize": 11}
    assert not [w for w in warnings(one) if w.startswith("node group ")]
    # The evening peak: the autoscaler took the group to 22.
    # Step 2, 2,000 users: same group, 20 <= 22 <= 52, so 22 stays (the old program sent 11 with min 20: refused).
    two = up(2000, live_from(one, 22))
    assert group(two).inputs["nodeGroupName"] == group(one).inputs["nodeGroupName"]
    assert group(two).inputs["scalingConfig"] == {"minSize": 20, "maxSize": 52, "desiredSize": 22}
    assert not [w for w in warnings(two) if w.startswith("node group ")]
    # The group grew to 40 with the load. Step 3, 8,000 users: c6a.2xlarge beside it.
    # 40 x 1,930 = 77,200 m; / 7,910 = 9.76 -> 10 nodes, the new minimum anyway.
    three = up(8000, live_from(two, 40))
    assert group(three).inputs["scalingConfig"] == {"minSize": 10, "maxSize": 27, "desiredSize": 10}
    move = MOVE.format(old=group(two).inputs["nodeGroupName"], new=group(three).inputs["nodeGroupName"])
    assert warnings(three).count(move) == 1
    # The cache grows in place, applied in this `up`: 1 shard at 1,000 users, 5 at 8,000, resharded online.
    cache = three.one(REPLICATION_GROUP).inputs
    assert (cache["numNodeGroups"], cache["applyImmediately"]) == (5, True)
    assert one.one(REPLICATION_GROUP).inputs["numNodeGroups"] == 1
    # 12 c6a.2xlarge nodes at the end of the busy week. Step 4, back to 1,000 users: t3a.small again.
    # 12 x 7,910 = 94,920 m; / 1,930 = 49.18 -> 50 nodes, above the maximum of 28: 28. The autoscaler then
    # removes the idle ones (its scale-down), never Pulumi.
    four = up(1000, live_from(three, 12))
    assert group(four).inputs["nodeGroupName"] == group(one).inputs["nodeGroupName"]
    assert group(four).inputs["scalingConfig"] == {"minSize": 11, "maxSize": 28, "desiredSize": 28}
    back = MOVE.format(old=group(three).inputs["nodeGroupName"], new=group(four).inputs["nodeGroupName"])
    assert back in warnings(four)


# --- 4. zones by zone ID -----------------------------------------------------------------------------------------

NAMES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
# Another account's mapping: its us-east-1a is use1-az3, where EKS refuses cluster subnets.
SHUFFLED = ["use1-az3", "use1-az6", "use1-az1", "use1-az4", "use1-az2", "use1-az5"]


def zoned(mocks: StackMocks, **config):
    run = run_program({"concurrentUsers": 1000, **config}, mocks=mocks)
    private = [s for s in run.of_type(SUBNET) if s.name.startswith("network-private-")]
    return run, [s.inputs["availabilityZone"] for s in sorted(private, key=lambda s: s.name)]


def test_a_supported_looking_zone_name_on_an_unsupported_zone_id_is_never_chosen():
    _, zones = zoned(StackMocks(zones=NAMES, zone_ids=SHUFFLED))
    # By ID: use1-az1, use1-az2, use1-az4 (az3 refused by EKS), which this account calls 1c, 1e and 1d.
    assert zones == ["us-east-1c", "us-east-1e", "us-east-1d"]


def test_the_live_subnets_keep_their_zones_when_one_is_impaired_or_a_new_one_appears():
    live = [
        LiveSubnet("subnet-0", PRIVATE_CIDRS[0], "use1-az2"),
        LiveSubnet("subnet-1", PRIVATE_CIDRS[1], "use1-az4"),
        LiveSubnet("subnet-2", PRIVATE_CIDRS[2], "use1-az5"),
    ]
    # use1-az1 (first by ID) is available and use1-az4 is impaired: neither moves a subnet.
    _, zones = zoned(StackMocks(zones=NAMES, zone_ids=SHUFFLED, impaired=("use1-az4",), subnets=live))
    assert zones == ["us-east-1e", "us-east-1d", "us-east-1f"]


def test_a_pin_that_would_move_a_live_subnet_is_refused_unless_allowed():
    zone_ids = ["use1-az1", "use1-az2", "use1-az4"]
    live = [
        LiveSubnet(f"subnet-{i}", cidr, zone)
        for i, (cidr, zone) in enumerate(zip(PRIVATE_CIDRS, zone_ids, strict=True))
    ]
    pin = ["use1-az1", "use1-az2", "use1-az5"]
    with pytest.raises(pulumi.RunError) as raised:
        zoned(StackMocks(subnets=live), availabilityZoneIds=pin)
    assert str(raised.value) == (
        "chat-infra:availabilityZoneIds: private subnet 2 is in use1-az4 and would move to use1-az5, replacing its "
        "subnets and everything in them; pin use1-az1, use1-az2, use1-az4 or set chat-infra:allowSubnetMove true"
    )
    run, zones = zoned(StackMocks(subnets=live), availabilityZoneIds=pin, allowSubnetMove=True)
    # The default mapping: use1-azN is the N-th letter.
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1e"]
    # The group's subnets move with them: a new name, so the new group is made before the old one goes.
    assert group(run).inputs["nodeGroupName"] != group(up(1000)).inputs["nodeGroupName"]


@pytest.mark.parametrize(
    ("pinned", "message"),
    [
        (
            ["use1-az1", "use1-az3", "use1-az4"],
            "chat-infra:availabilityZoneIds: EKS does not accept cluster subnets in use1-az3; choose others of "
            "use1-az1, use1-az2, use1-az4, use1-az5, use1-az6",
        ),
        (
            ["use1-az1", "use1-az9", "use1-az4"],
            "chat-infra:availabilityZoneIds: 'use1-az9' is not a zone ID of us-east-1 (its zones: use1-az1, "
            "use1-az2, use1-az3, use1-az4, use1-az5, use1-az6)",
        ),
        (
            ["use1-az1", "use1-az2"],
            "chat-infra:availabilityZoneIds: the plan spreads over 3 zones but 2 are pinned; pin 3 zone IDs",
        ),
        (
            ["use1-az1", "us-east-1b", "use1-az4"],
            "chat-infra:availabilityZoneIds: 'us-east-1b' is not a zone ID like use1-az1 (zone names such as "
            "us-east-1a differ per account; `aws ec2 describe-availability-zones` lists both)",
        ),
        (
            "use1-az1",
            "chat-infra:availabilityZoneIds: must be a list of strings (got 'use1-az1'); set an item with "
            "`pulumi config set --path 'chat-infra:availabilityZoneIds[0]' VALUE`",
        ),
    ],
)
def test_bad_zone_pins_fail_with_one_line(pinned, message):
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 1000, "availabilityZoneIds": pinned})
    assert str(raised.value) == message


def test_six_zones_are_more_than_us_east_1_offers_eks():
    # us-east-1 has six zones, one of which (use1-az3) EKS refuses.
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 1000, "assumptions": {"availability_zones": 6}})
    assert str(raised.value) == (
        "chat-infra:assumptions: availability_zones: the plan spreads over 6 zones but us-east-1 offers 5 "
        "available zones EKS supports"
    )


def test_the_unsupported_list_carries_the_three_zone_ids_of_the_eks_docs():
    assert stack_zones.EKS_UNSUPPORTED_ZONE_IDS == {
        "us-east-1": ("use1-az3",),
        "us-west-1": ("usw1-az2",),
        "ca-central-1": ("cac1-az3",),
    }


# --- 6. secret rotation -------------------------------------------------------------------------------------------

OPENAI = {"concurrentUsers": 1000, "llm": "openai:gpt-4o-mini"}
SALT = MOCK_PASSWORD[:32]  # the mocked random provider's value for the 32-character salt


def digest(value: str) -> str:
    return hmac.new(SALT.encode(), value.encode(), hashlib.sha256).hexdigest()[:16]


def deployment(run, app: str):
    (found,) = [d for d in run.of_type(DEPLOYMENT) if d.inputs["metadata"]["name"] == app]
    return found


def template(run, app: str) -> dict:
    return deployment(run, app).inputs["spec"]["template"]["metadata"]


def test_a_new_llm_api_key_rolls_the_backend_with_nothing_unavailable():
    before = run_program({**OPENAI, "llmApiKey": "sk-first-key"}, secret_keys=["llmApiKey"])
    after = run_program({**OPENAI, "llmApiKey": "sk-second-key"}, secret_keys=["llmApiKey"])
    key = "chat-infra/llm-api-key-digest"
    assert template(before, "backend")["annotations"][key] == digest("sk-first-key")
    assert template(after, "backend")["annotations"][key] == digest("sk-second-key")
    assert digest("sk-first-key") != digest("sk-second-key")
    # Never the value itself, anywhere in the Deployment.
    assert "sk-second-key" not in json.dumps(deployment(after, "backend").inputs)
    # The rollout surges: no pod stops before its replacement is Ready.
    assert deployment(after, "backend").inputs["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    # The frontend reads no secret: it does not roll.
    assert "annotations" not in template(after, "frontend")


def test_the_cache_token_digest_is_on_the_backend_template(first_up):
    token = first_up.named("data-cache-auth")
    assert token.inputs["length"] == 64
    annotations = template(first_up, "backend")["annotations"]
    assert annotations["chat-infra/cache-auth-digest"] == digest(MOCK_PASSWORD[:64])


@pytest.mark.parametrize(
    ("generation", "set_generation", "token", "strategy"),
    [
        # Never rotated: the token the stack always had, no strategy (SET is refused before a ROTATE).
        (1, 1, "data-cache-auth", None),
        # Step 1: a new token beside the old one; pods on either work while the backend rolls.
        (2, 1, "data-cache-auth-2", "ROTATE"),
        # Step 2, after the rollout: only the new token.
        (2, 2, "data-cache-auth-2", "SET"),
        (3, 2, "data-cache-auth-3", "ROTATE"),
    ],
)
def test_the_cache_auth_token_rotates_then_sets(generation, set_generation, token, strategy):
    run = run_program(
        {"concurrentUsers": 1000, "cacheAuthTokenGeneration": generation, "cacheAuthTokenSetGeneration": set_generation}
    )
    passwords = [r.name for r in run.of_type("random:index/randomPassword:RandomPassword") if "cache-auth" in r.name]
    assert passwords == [token]
    assert run.one(REPLICATION_GROUP).inputs.get("authTokenUpdateStrategy") == strategy


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"cacheAuthTokenGeneration": 2, "cacheAuthTokenSetGeneration": 3},
            "chat-infra:cacheAuthTokenSetGeneration: 3 is ahead of chat-infra:cacheAuthTokenGeneration 2; set it to 2 "
            "once the backend runs with the new token",
        ),
        (
            {"cacheAuthTokenGeneration": 3, "cacheAuthTokenSetGeneration": 1},
            "chat-infra:cacheAuthTokenGeneration: 3 is more than one rotation past "
            "chat-infra:cacheAuthTokenSetGeneration 1; finish the rotation under way first (`pulumi config set "
            "chat-infra:cacheAuthTokenSetGeneration 2` and `pulumi up`)",
        ),
        (
            {"cacheAuthTokenGeneration": 0},
            "chat-infra:cacheAuthTokenGeneration: must be a whole number from 1 to 10,000 (got '0')",
        ),
        (
            {"cacheAuthTokenSetGeneration": "two"},
            "chat-infra:cacheAuthTokenSetGeneration: must be a whole number from 1 to 10,000 (got 'two')",
        ),
        ({"allowSubnetMove": "yes"}, "chat-infra:allowSubnetMove: must be true or false (got 'yes')"),
    ],
)
def test_bad_rotation_and_move_keys_fail_with_one_line(values, message):
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 1000, **values})
    assert str(raised.value) == message


# --- 7. smaller breakers ------------------------------------------------------------------------------------------


def test_the_cluster_is_deleted_before_its_replacement_and_node_groups_are_not(first_up):
    assert first_up.one("aws:eks/cluster:Cluster").delete_before_replace is True
    assert group(first_up).delete_before_replace is False


def test_the_backend_role_is_trusted_only_from_this_accounts_cluster(first_up):
    trust = json.loads(first_up.named("workloads-backend-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnEquals": {"aws:SourceArn": f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/{CLUSTER}"},
            },
        }
    ]


def test_default_images_are_pinned_and_an_unpinned_one_is_named(first_up):
    images = {d.inputs["spec"]["template"]["spec"]["containers"][0]["image"] for d in first_up.of_type(DEPLOYMENT)}
    assert all(re.fullmatch(r"[^@]+@sha256:[0-9a-f]{64}", image) for image in images), images
    assert not [w for w in warnings(first_up) if "pinned by digest" in w]
    run = run_program({"concurrentUsers": 1000, "backendImage": "nginx:1.27"})
    assert [w for w in warnings(run) if "pinned by digest" in w] == [
        "chat-infra:backendImage: nginx:1.27 is not pinned by digest; nodes may pull different images as the tag "
        "moves: use nginx:1.27@sha256:<digest> (`docker buildx imagetools inspect nginx:1.27` prints it)"
    ]


def test_every_pod_identity_role_is_trusted_only_from_this_accounts_cluster(first_up):
    """The autoscaler's, the backend's and the load balancer controller's alike: a role any cluster could assume
    would hand its policy to pods of another account's cluster."""
    roles = [
        r for r in first_up.of_type("aws:iam/role:Role") if "pods.eks.amazonaws.com" in r.inputs["assumeRolePolicy"]
    ]
    assert {r.name for r in roles} >= {"workloads-backend-role", "autoscaler-role", "lb-controller-role"}
    for role in roles:
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnEquals": {"aws:SourceArn": f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/{CLUSTER}"},
        }, role.name
