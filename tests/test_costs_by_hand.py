"""Every line of the bill at four loads (300 to 100,000 users), derived on paper from the fake catalog and prices.

Nothing here is copied from the program's output, and no engine helper computes an expected figure: each one is
written below as the arithmetic of docs/methodology.md ("Cost") on the prices of tests/conftest.py and the
assumptions of tests/hand_plans.py, which are spelt out in full so a change of a shipped default moves none of them.

The month is 730 hours: ``traffic.days_per_month`` (365 / 12) x 24. The fake table's own 1,000 hours are not used.
The day: one peak hour, 23 at 1.4/23 of it, so the mean load (the min bound's) is 2.4 / 24 = 0.1. DynamoDB auto
scaling holds each hour the higher of that hour's and the previous hour's load: two hours at the peak (the peak and
the hour after), 22 at 1.4/23 = 0.061, where demand (0.061 / 0.8 = 7.6% of the peak units) is below the 20% floor.
Data transfer: the month's internet volume less the 100 GB free, at $0.10 a GB (the fake table's one tier), and the
two thirds of it that cross a zone, at $0.01 a GB on each side.

Per node, after kube-reserved and the DaemonSets (420m, 481 MiB, 2 pods):
- gp1.xlarge: CPU 4,000 - 80 = 3,920m - 420 = 3,500m; memory 16,384 x 0.925 = 15,155.2 - (255 + 11 x 29) - 100 =
  14,481 - 481 = 14,000 MiB; pods 29 - 2 = 27. Holds 3 backend pods (1,000m each) and beside them 1 frontend (500m);
  7 frontends on an empty node. $0.20 x 730 = $146 a month, + 20 GiB x $0.10 of gp3 = $148.
- gp1.2xlarge: 8,000 - 90 - 420 = 7,490m: 7 backends (490m left: no frontend beside), 14 frontends on an empty node.
  $0.44 x 730 = $321.20, + $2 = $323.20.
- bt1.large: 2,000 - 70 - 420 = 1,510m: 1 backend and 1 frontend beside it, 3 frontends on an empty node.
  $0.06 x 730 = $43.80, + $2 = $45.80. Burstable, baseline 40% of 2 vCPU = 0.8 vCPU a node; each vCPU-hour above it
  costs $0.05. In use: (the pods' requests x the load + 420m a node) x the 70% HPA target.
- ar1.xlarge (arm64): gp1.xlarge's shape at $0.16 x 730 = $116.80.

Every fleet also holds the cluster add-ons' pods (sizing/engine/addons.py; no self-hosted model here): CoreDNS 2 x
100m / 70 MiB, metrics-server 2 x 100m / 200 MiB, the Cluster Autoscaler 100m / 600 MiB and the load balancer
controller 2 x 100m / 128 MiB: 7 pods, 700m, 1,396 MiB. They are placed first, all on one node of any type here (7 of
its pod slots, 700m, 1,396 MiB), and the app's pods fill what they leave before taking new nodes:
- gp1.xlarge: 3,500 - 700 = 2,800m: 2 backends and 1 frontend beside them (300m left).
- gp1.2xlarge: 7,490 - 700 = 6,790m: 6 backends (790m left) and 1 frontend.
- bt1.large: 1,510 - 700 = 810m: no backend; 1 frontend (10 - 7 = 3 pod slots left).
Their 700m count towards the burstable credits like the DaemonSets': at the HPA target, whatever the load.

Fleets are (pods packed) x 1.25 rounded up, at least 3 nodes. A type wins by min-fleet + max-fleet cost, each with
its credits: the min fleet's at the mean load, the max fleet's at peak.
"""

from __future__ import annotations

import math

import pytest
from hand_plans import build, flat_token_prices

from sizing.data.pricing import SavingsPlanDiscount, SpotDiscount
from sizing.engine.edge import alb_dimensions, alb_lcus

H = 730  # hours in the month: 365 / 12 days x 24
CENT = 0.01  # the engine rounds every line to the cent


def about_peak(peak: float) -> tuple[float, float, float]:
    """A line linear in the load: a tenth of its peak at the mean (min and expected), the peak at the max."""
    return (peak * 0.1, peak * 0.1, peak)


# Control-plane logs (docs/methodology.md, "Control-plane logs"), on hand_plans' explicit ``cluster.logs``. Every
# hour, whatever the cluster's size, 15,055 steady audit events: leader elections, (2 of the stack's + 2 other)
# leaders x 3,600 / 2 s = 7,200 and (1 of the stack's + 2 other) standbys x 3,600 / 3.2 s = 3,375, 2 API servers'
# identity Leases x 3,600 / 10 s = 720, the Cluster Autoscaler's status get and update 2 x 3,600 / 10 s = 720, 100
# cluster watches x 2 events x 3,600 / 450 s = 1,600, and 2 HPAs x 3 requests x 3,600 / 15 s = 1,440; at 1,300
# bytes, 19,571,500 bytes, and the API server's 200,000 bytes in 1,000 lines: 19,771,500 bytes in 16,055 log events.
# Per node: 3,600 / 10 s Lease renewals + 3,600 / 300 s status patches + 12 watches x 16 = 564 events x 1,300 bytes,
# and 60 sign-ins x 450 bytes: 760,200 bytes in 624 events. Per pod started: 14 events x 2,500 bytes = 35,000.
# Ingested at $0.50 a GB (10^9 bytes); stored 90 days, a stock of 90 / (365 / 12) months at $0.03: 15% of the bytes
# and 26 bytes an event.
def log_gb(nodes: int, pods_a_day: float) -> float:
    return ((19_771_500 + nodes * 760_200) * H + pods_a_day * 35_000 * H / 24) / 1e9


def log_events(nodes: int, pods_a_day: float) -> float:
    return (16_055 + nodes * 624) * H + pods_a_day * 14 * H / 24


def log_usd(gigabytes: float, events: float, days: int = 90) -> float:
    return gigabytes * 0.50 + (gigabytes * 0.15 + events * 26 / 1e9) * days / (365 / 12) * 0.03


def log_bill(nodes: int, pods_a_day: float, days: int = 90) -> float:
    return log_usd(log_gb(nodes, pods_a_day), log_events(nodes, pods_a_day), days)


def logs_line(nodes: tuple[int, int], floor: int, ceiling: int) -> tuple[float, float, float]:
    """Min and expected: the min fleet, a rollout a day of the HPA's floor (no hour of this profile needs more pods
    than the floor); max: the max fleet, a rollout of the ceiling and the HPA's rise from floor to ceiling a day."""
    low = log_bill(nodes[0], floor)
    return (low, low, log_bill(nodes[1], ceiling + ceiling - floor))


@pytest.fixture
def plan(fake_catalog, fake_prices):
    def make(users, total=None, overrides=None, **workload):
        return build(fake_catalog, fake_prices, users, total, overrides, **workload)

    return make


# Registered users are multiples of 1,024 so storage (x 5 MiB / 1,024) is a round number of GiB.
# Each cost line is (min, expected, max).
LOADS: dict[int, dict] = {
    # --- 300 users, small. 15 requests/s. Backend ceil(3 x 1.2) = 4 .. 8, frontend max(2, ceil(0.6)) = 2 .. 4.
    # gp1.xlarge: 4 backends = 2 beside the add-ons (a frontend with them) + 2 on a new node (1,500m left: the other
    #   frontend fits) = 2 x 1.25 -> 3; 8 = 2 + 2 full nodes of 3 (a frontend beside each) = 3 nodes holding 3 of the
    #   4 frontends, the last on a 4th: x 1.25 -> 5. Score 8 x $148 = $1,184.
    # gp1.2xlarge: 4 backends and 2 frontends beside the add-ons (2,790m left): 1 node; 8 = 6 beside the add-ons (1
    #   frontend) + 2 on a new node (5,490m left: 3 frontends fit) = 2: 3 each (the floor). 6 x $323.20.
    # bt1.large: a frontend beside the add-ons, 4 backends a node each, the other frontend beside one: 5 x 1.25 ->
    #   7; 8 backends, 1 frontend beside the add-ons and 3 beside backends: 9 x 1.25 -> 12. The min fleet at the mean
    #   load uses (0.1 x (4 x 1,000 + 2 x 500) + 7 x 420 + 700) x 0.7 = 2.898 vCPU, under its 7 x 0.8: no credits;
    #   the max fleet at peak (8,000 + 2,000 + 12 x 420 + 700) x 0.7 = 11.018 vCPU, 1.418 above 9.6: $51.76. Score
    #   19 x $45.80 + $51.76 = $921.96, the cheapest. Expected credits: the min fleet at the peak hour uses (5,000 +
    #   2,940 + 700) x 0.7 = 6.048 vCPU, 0.448 above its baseline, for one hour in 24; over the day it averages
    #   2.898, under it: no surplus is billed.
    300: dict(
        total=3_072,
        tier="small",
        backend=(4, 8),
        frontend=(2, 4),
        instance_type="bt1.large",
        nodes=(7, 12),
        alternatives=[
            ("gp1.xlarge", 3, 5, 3 * (0.20 * H + 20 * 0.10), 5 * (0.20 * H + 20 * 0.10)),
            ("gp1.2xlarge", 3, 3, 3 * (0.44 * H + 20 * 0.10), 3 * (0.44 * H + 20 * 0.10)),
        ],
        # 8 + 4 pods and the 7 add-on pods, 1 or 2 on each of 12 bt1.large: the VPC CNI keeps a whole ENI's 5
        # secondaries free, so ceil(2 / 5) + 1 = 2 ENIs (its most: 12 max pods = 2 x 5 + 2) of 6 addresses a node.
        vpc_ips=12 * 2 * 6,
        nat_gateways=1,
        costs={
            "eks_control_plane": (0.10 * H, 0.10 * H, 0.10 * H),
            "ec2_nodes": (7 * 0.06 * H, 7 * 0.06 * H, 12 * 0.06 * H),
            "ebs_volumes": (7 * 20 * 0.10, 7 * 20 * 0.10, 12 * 20 * 0.10),
            # Expected: AWS nets the surplus against the credits earned over the day, and the min fleet's day
            # averages the mean load's 2.898 vCPU, under its 5.6 vCPU baseline: nothing (the peak hour's 0.448 vCPU
            # above it is paid down by the quiet hours).
            "burstable_credits": (
                0,
                0,
                ((8 * 1000 + 4 * 500 + 12 * 420 + 700) * 0.7 / 1000 - 12 * 0.8) * 0.05 * H,
            ),
            "kms_key": (1.00, 1.00, 1.00),
            # 7 .. 12 nodes; 4 + 2 pods rolled out a day, 8 + 4 and the 6 the HPA adds at the max: 19.22 and 22.01 GB.
            "control_plane_logs": logs_line((7, 12), 4 + 2, 8 + 4),
            # One gateway. Processed at peak: 15/s x 16 KB x 730 x 3,600 s = 630.72 GB; at the mean a tenth.
            "nat_gateways": (1 * 0.05 * H + 63.072 * 0.01, 1 * 0.05 * H + 63.072 * 0.01, 1 * 0.05 * H + 630.72 * 0.01),
            # The gateway's Elastic IP and the NLB's address in each of 3 zones.
            "public_ipv4": ((1 + 3) * 0.01 * H,) * 3,
            # ALB LCUs: max(15 / 10 = 1.5 new connections/s / 25, 300 active / 3,000, 15 x 32 KB x 3,600 / 1e6 =
            # 1.728 GB/h / 1, no rule beyond the 10 free) = 1.728 at peak; a tenth at the mean.
            "load_balancer": ((0.03 + 0.1728 * 0.01) * H, (0.03 + 0.1728 * 0.01) * H, (0.03 + 1.728 * 0.01) * H),
            # WAF: the ACL and its one rule, $6; 15/s x 3,600 x 730 = 39.42 million requests at peak, at $0.50.
            "waf": (6 + 3.942 * 0.50, 6 + 3.942 * 0.50, 6 + 39.42 * 0.50),
            # 15/s x 32 KB x 730 x 3,600 s = 1,261.44 GB at peak; 126.144 GB at the mean, mostly in the free 100.
            "data_transfer": (
                (126.144 - 100) * 0.10 + 126.144 * 2 / 3 * 2 * 0.01,
                (126.144 - 100) * 0.10 + 126.144 * 2 / 3 * 2 * 0.01,
                (1_261.44 - 100) * 0.10 + 1_261.44 * 2 / 3 * 2 * 0.01,
            ),
            # Cross-zone hops: the pods of the other two zones reach the one NAT gateway: 630.72 GB x 2/3 x $0.01 on
            # each side. (The ALB sends each request straight to a pod, and its cross-zone traffic is not billed.)
            "cross_zone_hops": about_peak(630.72 * 2 / 3 * 2 * 0.01),
            # Provisioned (cheaper on this day, see test_dynamodb_capacity_and_both_modes_by_hand): 75 RCU / 0.8 =
            # 93.75 and 30 WCU / 0.8 = 37.5 at peak, floors of 15 and 6; 15 GiB of storage at $0.50.
            "dynamodb": (
                15 * 0.0001 * H + 6 * 0.0005 * H + 15 * 0.50,
                (2 * 93.75 + 22 * 15) / 24 * 0.0001 * H + (2 * 37.5 + 22 * 6) / 24 * 0.0005 * H + 15 * 0.50,
                93.75 * 0.0001 * H + 37.5 * 0.0005 * H + 15 * 0.50,
            ),
            "dynamodb_pitr": (15 * 0.20,) * 3,
            "elasticache": (0, 0, 0),  # off below medium
        },
        database=dict(
            mode="PROVISIONED",
            rcu=75,
            wcu=30,
            read_scaling=(15, 94),
            write_scaling=(6, 38),
            # On demand: (75 x $0.20 + 30 x $1.00) x 3,600 / 1e6 = $0.162 an hour at peak, + $7.50 of storage.
            on_demand=(0.162 * 0.1 * H + 7.5, 0.162 * 0.1 * H + 7.5, 0.162 * H + 7.5),
        ),
        cache=dict(enabled=False, node_type=None, nodes=0, shards=0),
    ),
    # --- 1,000 users, medium. 50 requests/s. Backend 12 .. 24, frontend 2 .. 4.
    # gp1.xlarge: 12 backends = 2 beside the add-ons (and a frontend) + 3 full nodes (the other frontend beside one)
    #   + 1 = 5 x 1.25 -> 7; 24 = 2 + 7 full + 1 = 9 (the 4 frontends fit beside) x 1.25 -> 12: 19 x $148 = $2,812.
    # gp1.2xlarge: 12 = 6 beside the add-ons (a frontend) + 6 on a new node (1,490m left: the other frontend) = 2
    #   nodes -> 3; 24 = 6 + 2 x 7 + 4 (3,490m left: the 3 frontends left fit) = 4 x 1.25 -> 5. 8 x $323.20 =
    #   $2,585.60, now the first runner-up.
    # bt1.large: the add-ons' node and 12 backends: 13 x 1.25 -> 17; 24: 25 x 1.25 -> 32. Min fleet at the mean:
    #   (0.1 x 13,000 + 17 x 420 + 700) x 0.7 = 6.398 vCPU under 13.6: no credits. Max fleet at peak: (26,000 + 32 x
    #   420 + 700) x 0.7 = 28.098 vCPU, 2.498 above 25.6: $91.18. Score 49 x $45.80 + $91.18 = $2,335.38, below
    #   gp1.2xlarge's $2,585.60: chosen.
    1_000: dict(
        total=10_240,
        tier="medium",
        backend=(12, 24),
        frontend=(2, 4),
        instance_type="bt1.large",
        nodes=(17, 32),
        alternatives=[
            ("gp1.2xlarge", 3, 5, 3 * (0.44 * H + 20 * 0.10), 5 * (0.44 * H + 20 * 0.10)),
            ("gp1.xlarge", 7, 12, 7 * (0.20 * H + 20 * 0.10), 12 * (0.20 * H + 20 * 0.10)),
        ],
        vpc_ips=32 * 2 * 6,  # 35 pods, 1 or 2 on each of 32 bt1.large: 2 ENIs of 6 addresses a node
        nat_gateways=1,
        costs={
            "eks_control_plane": (0.10 * H,) * 3,
            "ec2_nodes": (17 * 0.06 * H, 17 * 0.06 * H, 32 * 0.06 * H),
            "ebs_volumes": (17 * 20 * 0.10, 17 * 20 * 0.10, 32 * 20 * 0.10),
            # Expected: the min fleet at the peak hour uses (13,000 + 17 x 420 + 700) x 0.7 = 14.588 vCPU, 0.988 above
            # 13.6, but the day averages 6.398 vCPU, under it: no surplus left to bill.
            "burstable_credits": (
                0,
                0,
                ((24 * 1000 + 4 * 500 + 32 * 420 + 700) * 0.7 / 1000 - 32 * 0.8) * 0.05 * H,
            ),
            "kms_key": (1.00,) * 3,
            # 17 .. 32 nodes; 12 + 2 pods rolled out a day, 24 + 4 and 14 more at the max: 23.88 and 32.24 GB.
            "control_plane_logs": logs_line((17, 32), 12 + 2, 24 + 4),
            # 50/s x 16 KB x 730 x 3,600 s = 2,102.4 GB at peak.
            "nat_gateways": (1 * 0.05 * H + 210.24 * 0.01, 1 * 0.05 * H + 210.24 * 0.01, 1 * 0.05 * H + 2_102.4 * 0.01),
            "public_ipv4": ((1 + 3) * 0.01 * H,) * 3,
            # 50 x 32 KB x 3,600 / 1e6 = 5.76 GB/h: 5.76 NLCU at peak (beats 1,000 / 100,000 and 50 / 10 / 800).
            # ALB: max(5 / 25, 1,000 / 3,000, 5.76 GB/h) = 5.76 LCUs at peak. WAF: 131.4 million requests at peak.
            "load_balancer": ((0.03 + 0.576 * 0.01) * H, (0.03 + 0.576 * 0.01) * H, (0.03 + 5.76 * 0.01) * H),
            "waf": (6 + 13.14 * 0.50, 6 + 13.14 * 0.50, 6 + 131.4 * 0.50),
            # 50/s x 32 KB x 730 x 3,600 s = 4,204.8 GB at peak.
            "data_transfer": (
                (420.48 - 100) * 0.10 + 420.48 * 2 / 3 * 2 * 0.01,
                (420.48 - 100) * 0.10 + 420.48 * 2 / 3 * 2 * 0.01,
                (4_204.8 - 100) * 0.10 + 4_204.8 * 2 / 3 * 2 * 0.01,
            ),
            # Cross-zone hops: the 2,102.4 GB the shared NAT gateway processes, x 2/3 x $0.01 on each side; a tenth at
            # the mean.
            "cross_zone_hops": about_peak(2_102.4 * 2 / 3 * 2 * 0.01),
            # 250 RCU / 0.8 = 312.5 and 100 WCU / 0.8 = 125 at peak, floors 50 and 20; 50 GiB.
            "dynamodb": (
                50 * 0.0001 * H + 20 * 0.0005 * H + 50 * 0.50,
                (2 * 312.5 + 22 * 50) / 24 * 0.0001 * H + (2 * 125 + 22 * 20) / 24 * 0.0005 * H + 50 * 0.50,
                312.5 * 0.0001 * H + 125 * 0.0005 * H + 50 * 0.50,
            ),
            "dynamodb_pitr": (50 * 0.20,) * 3,
            # 0.49 GiB of sessions: one cache.f1.medium (4 GiB x 0.75 usable), no replica below large.
            "elasticache": (1 * 0.05 * H,) * 3,
        },
        database=dict(
            mode="PROVISIONED",
            rcu=250,
            wcu=100,
            read_scaling=(50, 313),
            write_scaling=(20, 125),
            # (250 x $0.20 + 100 x $1.00) x 3,600 / 1e6 = $0.54 an hour at peak; storage $25.
            on_demand=(0.54 * 0.1 * H + 25, 0.54 * 0.1 * H + 25, 0.54 * H + 25),
        ),
        cache=dict(enabled=True, node_type="cache.f1.medium", nodes=1, shards=1),
    ),
    # --- 5,000 users, large. 250 requests/s. Backend 60 .. 120, frontend 10 .. 20. No burstable types.
    # gp1.xlarge: the 60 backends alone would fill 20 nodes exactly (a frontend beside each of 10): 25. With the
    #   add-ons: 2 backends and a frontend beside them, 58 = 19 full nodes (9 frontends beside) + 1 = 21 x 1.25 ->
    #   27; 120 = 2 + 39 full (19 frontends beside) + 1 = 41 x 1.25 -> 52. Score 79 x $148 = $11,692.
    # gp1.2xlarge: 60 = 6 beside the add-ons (1 frontend) + 7 x 7 + 5 (2,490m left: 4 frontends fit, 5 more take a
    #   node) = 10 -> 13; 120 = 6 (1 frontend) + 16 x 7 + 2 (5,490m left: 10 fit, 9 more take a node) = 19 -> 24.
    #   Score 37 x $323.20 = $11,958.40.
    5_000: dict(
        total=51_200,
        tier="large",
        backend=(60, 120),
        frontend=(10, 20),
        instance_type="gp1.xlarge",
        nodes=(27, 52),
        alternatives=[("gp1.2xlarge", 13, 24, 13 * (0.44 * H + 20 * 0.10), 24 * (0.44 * H + 20 * 0.10))],
        # 147 pods, 2 or 3 on each of 52 gp1.xlarge (9 secondaries an ENI): ceil(3 / 9) + 1 = 2 ENIs of 10 a node.
        vpc_ips=52 * 2 * 10,
        nat_gateways=3,
        costs={
            "eks_control_plane": (0.10 * H,) * 3,
            "ec2_nodes": (27 * 0.20 * H, 27 * 0.20 * H, 52 * 0.20 * H),
            "ebs_volumes": (27 * 20 * 0.10, 27 * 20 * 0.10, 52 * 20 * 0.10),
            "kms_key": (1.00,) * 3,
            # 27 .. 52 nodes; 60 + 10 pods rolled out a day, 120 + 20 and 70 more at the max: 30.39 and 44.41 GB.
            "control_plane_logs": logs_line((27, 52), 60 + 10, 120 + 20),
            # Three gateways (one per zone from large). 250/s x 16 KB x 730 x 3,600 s = 10,512 GB at peak.
            "nat_gateways": (
                3 * 0.05 * H + 1_051.2 * 0.01,
                3 * 0.05 * H + 1_051.2 * 0.01,
                3 * 0.05 * H + 10_512 * 0.01,
            ),
            "public_ipv4": ((3 + 3) * 0.01 * H,) * 3,
            # 250 x 32 KB x 3,600 / 1e6 = 28.8 NLCU at peak.
            # ALB: max(25 / 25, 5,000 / 3,000, 28.8 GB/h) = 28.8 LCUs at peak. WAF: 657 million requests at peak.
            "load_balancer": ((0.03 + 2.88 * 0.01) * H, (0.03 + 2.88 * 0.01) * H, (0.03 + 28.8 * 0.01) * H),
            "waf": (6 + 65.7 * 0.50, 6 + 65.7 * 0.50, 6 + 657 * 0.50),
            # 250/s x 32 KB x 730 x 3,600 s = 21,024 GB at peak.
            "data_transfer": (
                (2_102.4 - 100) * 0.10 + 2_102.4 * 2 / 3 * 2 * 0.01,
                (2_102.4 - 100) * 0.10 + 2_102.4 * 2 / 3 * 2 * 0.01,
                (21_024 - 100) * 0.10 + 21_024 * 2 / 3 * 2 * 0.01,
            ),
            # Cross-zone hops: none (a NAT gateway in every zone, no API model).
            "cross_zone_hops": (0, 0, 0),
            # 1,250 RCU / 0.8 = 1,562.5 and 500 WCU / 0.8 = 625 at peak, floors 250 and 100; 250 GiB.
            "dynamodb": (
                250 * 0.0001 * H + 100 * 0.0005 * H + 250 * 0.50,
                (2 * 1_562.5 + 22 * 250) / 24 * 0.0001 * H + (2 * 625 + 22 * 100) / 24 * 0.0005 * H + 250 * 0.50,
                1_562.5 * 0.0001 * H + 625 * 0.0005 * H + 250 * 0.50,
            ),
            "dynamodb_pitr": (250 * 0.20,) * 3,
            # 2.44 GiB: one cache.f1.medium shard and its replica (large): 2 nodes.
            "elasticache": (2 * 0.05 * H,) * 3,
        },
        database=dict(
            mode="PROVISIONED",
            rcu=1_250,
            wcu=500,
            read_scaling=(250, 1_563),
            write_scaling=(100, 625),
            # (1,250 x $0.20 + 500 x $1.00) x 3,600 / 1e6 = $2.70 an hour at peak; storage $125.
            on_demand=(2.70 * 0.1 * H + 125, 2.70 * 0.1 * H + 125, 2.70 * H + 125),
        ),
        cache=dict(enabled=True, node_type="cache.f1.medium", nodes=2, shards=1),
    ),
    # --- 100,000 users, enterprise. 5,000 requests/s. Backend 1,200 .. 2,400, frontend 200 .. 400.
    # gp1.xlarge: 2 backends and a frontend beside the add-ons, 1,198 = 399 full nodes (199 frontends beside) + 1 =
    #   401 x 1.25 -> 502; 2,400 = 2 + 799 full (399 frontends beside) + 1 = 801 x 1.25 -> 1,002. Score 1,504 x $148
    #   = $222,592.
    # gp1.2xlarge: 1,200 = 6 beside the add-ons (1 frontend) + 170 x 7 + 4 (3,490m left: 6 frontends fit, 193 more
    #   on ceil(193 / 14) = 14 nodes) = 186 x 1.25 -> 233; 2,400 = 6 (1 frontend) + 342 x 7 (399 more frontends on
    #   ceil(399 / 14) = 29) = 372 x 1.25 = 465. Score 698 x $323.20 = $225,593.60.
    100_000: dict(
        total=1_024_000,
        tier="enterprise",
        backend=(1_200, 2_400),
        frontend=(200, 400),
        instance_type="gp1.xlarge",
        nodes=(502, 1_002),
        groups=[(168, 334), (167, 334), (167, 334)],  # ceil(1,002 / 450) = 3 groups
        alternatives=[("gp1.2xlarge", 233, 465, 233 * (0.44 * H + 20 * 0.10), 465 * (0.44 * H + 20 * 0.10))],
        vpc_ips=1_002 * 2 * 10,  # 2,807 pods, 2 or 3 a gp1.xlarge: 2 ENIs of 10 each
        nat_gateways=3,
        costs={
            "eks_control_plane": (0.10 * H,) * 3,
            "ec2_nodes": (502 * 0.20 * H, 502 * 0.20 * H, 1_002 * 0.20 * H),
            "ebs_volumes": (502 * 20 * 0.10, 502 * 20 * 0.10, 1_002 * 20 * 0.10),
            "kms_key": (1.00,) * 3,
            # 502 .. 1,002 nodes; 1,400 pods rolled out a day, 2,800 and 1,400 more at the max: 294.51 and 574.96 GB.
            "control_plane_logs": logs_line((502, 1_002), 1_200 + 200, 2_400 + 400),
            # 5,000/s x 16 KB x 730 x 3,600 s = 210,240 GB at peak.
            "nat_gateways": (3 * 0.05 * H + 21_024 * 0.01, 3 * 0.05 * H + 21_024 * 0.01, 3 * 0.05 * H + 210_240 * 0.01),
            "public_ipv4": ((3 + 3) * 0.01 * H,) * 3,
            # 5,000 x 32 KB x 3,600 / 1e6 = 576 NLCU at peak.
            # ALB: max(500 / 25, 100,000 / 3,000, 576 GB/h) = 576 LCUs at peak. WAF: 13,140 million requests.
            "load_balancer": ((0.03 + 57.6 * 0.01) * H, (0.03 + 57.6 * 0.01) * H, (0.03 + 576 * 0.01) * H),
            "waf": (6 + 1_314 * 0.50, 6 + 1_314 * 0.50, 6 + 13_140 * 0.50),
            # 5,000/s x 32 KB x 730 x 3,600 s = 420,480 GB at peak.
            "data_transfer": (
                (42_048 - 100) * 0.10 + 42_048 * 2 / 3 * 2 * 0.01,
                (42_048 - 100) * 0.10 + 42_048 * 2 / 3 * 2 * 0.01,
                (420_480 - 100) * 0.10 + 420_480 * 2 / 3 * 2 * 0.01,
            ),
            # Cross-zone hops: none (a NAT gateway in every zone, no API model).
            "cross_zone_hops": (0, 0, 0),
            # 25,000 RCU / 0.8 = 31,250 and 10,000 WCU / 0.8 = 12,500 at peak, floors 5,000 and 2,000; 5,000 GiB.
            "dynamodb": (
                5_000 * 0.0001 * H + 2_000 * 0.0005 * H + 5_000 * 0.50,
                (2 * 31_250 + 22 * 5_000) / 24 * 0.0001 * H
                + (2 * 12_500 + 22 * 2_000) / 24 * 0.0005 * H
                + 5_000 * 0.50,
                31_250 * 0.0001 * H + 12_500 * 0.0005 * H + 5_000 * 0.50,
            ),
            "dynamodb_pitr": (5_000 * 0.20,) * 3,
            # 48.83 GiB: cache.f1.medium ceil(48.83 / 3) = 17 shards x 2 x $36.50 = $1,241, cheaper than
            # cache.f1.large ceil(48.83 / 12) = 5 shards x 2 x $146 = $1,460.
            "elasticache": (17 * 2 * 0.05 * H,) * 3,
        },
        database=dict(
            mode="PROVISIONED",
            rcu=25_000,
            wcu=10_000,
            read_scaling=(5_000, 31_250),
            write_scaling=(2_000, 12_500),
            # (25,000 x $0.20 + 10,000 x $1.00) x 3,600 / 1e6 = $54 an hour at peak; storage $2,500.
            on_demand=(54 * 0.1 * H + 2_500, 54 * 0.1 * H + 2_500, 54 * H + 2_500),
        ),
        cache=dict(enabled=True, node_type="cache.f1.medium", nodes=34, shards=17),
    ),
}
# The bill's rows in the order it prints them (the optional ones where they apply).
ORDER = [
    "eks_control_plane",
    "ec2_nodes",
    "ec2_spot_nodes",
    "ebs_volumes",
    "burstable_credits",
    "kms_key",
    "control_plane_logs",
    "eks_extended_support",
    "nat_gateways",
    "public_ipv4",
    "data_transfer",
    "cross_zone_hops",
    "llm_endpoint",
    "load_balancer",
    "waf",
    "dynamodb",
    "dynamodb_pitr",
    "elasticache",
    "llm_api",
]
LABELS = {
    "eks_control_plane": "EKS control plane",
    "ec2_nodes": "EC2 nodes",
    "ebs_volumes": "Node EBS volumes (gp3)",
    "burstable_credits": "Burstable CPU credits",
    "kms_key": "KMS key (secrets encryption)",
    "public_ipv4": "Public IPv4 addresses ({addresses})",
    "load_balancer": "Load balancer (ALB)",
    "waf": "WAF web ACL (1 rule)",
    "data_transfer": "Data transfer (internet out, between zones)",
    "dynamodb": "DynamoDB (provisioned)",
    "dynamodb_pitr": "DynamoDB point-in-time recovery",
}

# The logs' label: the expected GB and the max's, to a tenth (LOADS' comments have them to the hundredth).
LOG_LABELS = {
    300: "Control-plane logs (18.3 GB/month, up to 21.1; 90 days kept)",
    1_000: "Control-plane logs (23.9 GB/month, up to 32.2; 90 days kept)",
    5_000: "Control-plane logs (29.5 GB/month, up to 43.5; 90 days kept)",
    100_000: "Control-plane logs (294.5 GB/month, up to 575.0; 90 days kept)",
}


def lines(plan) -> dict[str, tuple[float, float, float]]:
    return {i.key: (i.monthly_usd.min, i.expected_monthly_usd, i.monthly_usd.max) for i in plan.cost.breakdown}


def about(*figures: float) -> tuple:
    return tuple(pytest.approx(f, abs=CENT) for f in figures)


@pytest.mark.parametrize("users", list(LOADS))
def test_pods_nodes_the_chosen_type_and_the_runner_ups_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    assert got.tier == want["tier"]
    assert got.performance.requests_per_second == users * 3 / 60
    assert (got.backend.min_replicas, got.backend.max_replicas) == want["backend"]
    assert (got.frontend.min_replicas, got.frontend.max_replicas) == want["frontend"]
    nodes = got.nodes
    assert (nodes.instance_type, nodes.min_nodes, nodes.max_nodes) == (want["instance_type"], *want["nodes"])
    assert [(g.min_nodes, g.max_nodes) for g in nodes.groups] == want.get("groups", [want["nodes"]])
    assert {g.instance_type for g in nodes.groups} == {want["instance_type"]}
    # The runner-ups, cheapest first, each at its own fleet's cost (none of them burstable: no credits).
    assert [
        (o.instance_type, o.min_nodes, o.max_nodes, *about(o.monthly_usd.min, o.monthly_usd.max))
        for o in nodes.alternatives
    ] == want["alternatives"]


@pytest.mark.parametrize("users", list(LOADS))
def test_every_cost_line_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    expected = want["costs"]
    # Each line keeps its key and its own three amounts: two rows swapped would show here.
    assert lines(got) == {key: about(*figures) for key, figures in expected.items()}
    assert [i.key for i in got.cost.breakdown] == [k for k in ORDER if k in expected]
    labels = {i.key: i.item for i in got.cost.breakdown}
    gateways = want["nat_gateways"]
    assert labels["nat_gateways"] == ("NAT gateway (1)" if gateways == 1 else f"NAT gateways ({gateways})")
    assert labels["elasticache"] == ("ElastiCache (Redis OSS)" if want["cache"]["enabled"] else "ElastiCache")
    assert {k: labels[k] for k in LABELS if k in labels} == {
        k: v.format(addresses=gateways + 3) for k, v in LABELS.items() if k in expected
    }
    assert labels["control_plane_logs"] == LOG_LABELS[users]


@pytest.mark.parametrize("users", list(LOADS))
def test_totals_and_cost_per_user_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    low, expected, high = (sum(c[n] for c in want["costs"].values()) for n in range(3))
    cost = got.cost
    # Summed from the lines rounded to the cent: a few cents of slack.
    assert (cost.infrastructure_monthly_usd.min, cost.infrastructure_monthly_usd.max) == (
        pytest.approx(low, abs=0.05),
        pytest.approx(high, abs=0.05),
    )
    assert cost.infrastructure_expected_monthly_usd == pytest.approx(expected, abs=0.05)
    assert (cost.llm_monthly_usd.min, cost.llm_monthly_usd.max, cost.llm_expected_monthly_usd) == (0, 0, 0)
    assert (cost.monthly_usd.min, cost.monthly_usd.max) == (pytest.approx(low, abs=0.05), pytest.approx(high, abs=0.05))
    assert cost.expected_monthly_usd == pytest.approx(expected, abs=0.05)
    assert cost.per_user_usd.min == pytest.approx(low / want["total"], abs=1e-4)
    assert cost.per_user_usd.max == pytest.approx(high / want["total"], abs=1e-4)
    assert (cost.prices_as_of, cost.currency) == ("2000-01-02", "USD")


def test_the_totals_in_figures():
    # The sums above, added up once more from the figures rounded to the cent (hence a few cents of slack), so a
    # wrong expected table cannot agree with itself.
    # 1,000 users: 73 + 744.60 + 34 + 0 + 1 + 17.70 + 38.60 + 29.20 + 26.10 + 12.57 + 37.65 + 35.95 + 10 + 36.50 at
    # the min; 73 + 1,401.60 + 64 + 91.18 + 1 + 17.70 + 57.52 + 29.20 + 63.95 + 71.70 + 466.54 + 93.44 + 10 + 36.50
    # at the max; the min with DynamoDB ($40.74) in place of the min's (the day's credits net to nothing); plus the
    # cross-zone hops to the shared NAT gateway, 2,102.4 x 2/3 x 2 x $0.01 = $28.03 at the max, $2.80 at the mean.
    # Control-plane logs derived from the cluster's activity: 17 nodes, 23.88 GB in 19.47 million events, $11.94
    # ingested + (3.58 + 0.51) GB x 90 / (365 / 12) x $0.03 stored = $12.30 at the min and expected, 32 nodes,
    # 32.24 GB in 26.31 million events = $16.61 at the max, in place of the flat 30 GB's $17.70 counted above (the
    # last term of each total).
    assert [sum(c[n] for c in LOADS[1_000]["costs"].values()) for n in range(3)] == [
        pytest.approx(total, abs=0.05)
        for total in (
            1_096.87 + 2.80 + (12.30 - 17.70),
            1_101.66 + 2.80 + (12.30 - 17.70),
            2_477.33 + 28.03 + (16.61 - 17.70),
        )
    ]
    # 100,000 users: 73 + 73,292 + 1,004 + 1 + 17.70 + 319.74 + 43.80 + 442.38 + 663 + 4,755.44 + 3,595 + 1,000
    # + 1,241 at the min; 73 + 146,292 + 2,004 + 1 + 17.70 + 2,211.90 + 43.80 + 4,226.70 + 6,576 + 47,644.40
    # + 9,343.75 + 1,000 + 1,241 at the max; the min with DynamoDB's $4,074.06 expected; no cross-zone hops (a NAT
    # gateway in every zone).
    # Control-plane logs derived: 502 nodes, 294.51 GB in 240.99 million events = $151.73 at the min and expected,
    # 1,002 nodes, 574.96 GB in 469.94 million events = $296.22 at the max, in place of the flat $17.70 counted above (the last term of each total).
    assert [sum(c[n] for c in LOADS[100_000]["costs"].values()) for n in range(3)] == [
        pytest.approx(total, abs=0.05)
        for total in (
            86_448.06 + (151.73 - 17.70),
            86_927.12 + (151.73 - 17.70),
            220_675.25 + (296.22 - 17.70),
        )
    ]


@pytest.mark.parametrize("users", list(LOADS))
def test_vpc_addresses_and_gateways_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"], {"quotas": {"ec2_on_demand_vcpus": 4_008}})
    assert got.network.vpc_ips_max == want["vpc_ips"]
    assert got.network.nat_gateways == want["nat_gateways"]
    assert got.network.availability_zones == 3
    # 100,000 users run 1,002 x 4 = 4,008 vCPUs at the max fleet: at the quota set here, not above it.
    assert got.nodes.max_vcpus == want["nodes"][1] * (2 if want["instance_type"] == "bt1.large" else 4)
    assert got.warnings == []


@pytest.mark.parametrize("users", list(LOADS))
def test_dynamodb_capacity_and_both_modes_by_hand(plan, users):
    want, got = LOADS[users]["database"], plan(users, LOADS[users]["total"]).database
    assert got.billing_mode == want["mode"]
    assert got.reads_per_second == users * 0.5 and got.writes_per_second == pytest.approx(users * 0.1)
    # 4 KB reads, eventually consistent: half a unit each; 1 KB writes: one.
    assert (got.read_capacity_units, got.write_capacity_units) == (want["rcu"], want["wcu"])
    assert (got.read_autoscaling.min, got.read_autoscaling.max) == want["read_scaling"]
    assert (got.write_autoscaling.min, got.write_autoscaling.max) == want["write_scaling"]
    assert got.storage_gib == LOADS[users]["total"] * 5 / 1024
    provisioned = LOADS[users]["costs"]["dynamodb"]
    assert (got.monthly_usd_provisioned.min, got.expected_monthly_usd_provisioned, got.monthly_usd_provisioned.max) == (
        about(*provisioned)
    )
    on_demand = want["on_demand"]
    assert (got.monthly_usd_on_demand.min, got.expected_monthly_usd_on_demand, got.monthly_usd_on_demand.max) == (
        about(*on_demand)
    )
    # The cheaper on the day, and the reason says both.
    assert got.mode_reason == (
        f"provisioned with auto scaling: provisioned ${provisioned[1]:,.2f} vs on-demand ${on_demand[1]:,.2f} a month "
        "on this load profile"
    )


def test_on_demand_wins_when_the_floor_is_the_peak(plan):
    # A floor of 100% of the units: 250 RCU and 100 WCU held all day, 312.5 and 125 in the two lagged peak hours:
    # (2 x 312.5 + 22 x 250) / 24 x $0.0001 x 730 + (2 x 125 + 22 x 100) / 24 x $0.0005 x 730 + $25 = $80.89, above
    # on-demand's $0.54 x 0.1 x 730 + $25 = $64.42: on-demand is billed.
    got = plan(1_000, 10_240, {"database": {"min_capacity_fraction": 1.0}})
    db = got.database
    provisioned = (2 * 312.5 + 22 * 250) / 24 * 0.0001 * H + (2 * 125 + 22 * 100) / 24 * 0.0005 * H + 50 * 0.50
    on_demand = (250 * 0.20 + 100 * 1.00) * 3600 / 1e6 * 0.1 * H + 50 * 0.50
    assert (db.read_autoscaling.min, db.write_autoscaling.min) == (250, 100)
    assert (db.expected_monthly_usd_provisioned, db.expected_monthly_usd_on_demand) == about(provisioned, on_demand)
    assert db.billing_mode == "PAY_PER_REQUEST"
    assert db.mode_reason.startswith(f"on-demand: provisioned ${provisioned:,.2f} vs on-demand ${on_demand:,.2f}")
    row = next(i for i in got.cost.breakdown if i.key == "dynamodb")
    assert row.item == "DynamoDB (on-demand)"
    assert (row.monthly_usd.min, row.expected_monthly_usd, row.monthly_usd.max) == about(
        on_demand, on_demand, (250 * 0.20 + 100 * 1.00) * 3600 / 1e6 * H + 50 * 0.50
    )


def test_a_pinned_mode_is_billed_even_when_dearer(plan):
    # 100,000 users on demand: $54 an hour of requests at peak, $5.40 at the mean, and the 5,000 GiB at $0.50;
    # provisioned would have been $4,074.06 expected (LOADS).
    got = plan(100_000, 1_024_000, {"database": {"billing_mode": "PAY_PER_REQUEST"}})
    assert got.database.billing_mode == "PAY_PER_REQUEST"
    assert lines(got)["dynamodb"] == about(54 * 0.1 * H + 2_500, 54 * 0.1 * H + 2_500, 54 * H + 2_500)
    assert got.database.mode_reason == (
        "set by database.billing_mode (provisioned $4,074.06 vs on-demand $6,442.00 a month on this load profile)"
    )


@pytest.mark.parametrize("users", list(LOADS))
def test_cache_by_hand(plan, users):
    want, got = LOADS[users]["cache"], plan(users, LOADS[users]["total"]).cache
    assert (got.enabled, got.node_type, got.num_nodes, got.shards) == (
        want["enabled"],
        want["node_type"],
        want["nodes"],
        want["shards"],
    )
    assert got.required_memory_gib == round(users * 0.5 / 1024, 3)
    assert got.monthly_usd == pytest.approx(LOADS[users]["costs"]["elasticache"][2], abs=CENT)
    if got.enabled:
        assert got.usable_memory_gib_per_node == 3.0  # 4 GiB x 0.75, filled to 100%


def test_cache_headroom_and_valkey_by_hand(plan):
    # 100,000 users' 48.83 GiB, each node filled to 80% of its usable 75%: cache.f1.medium holds 4 x 0.6 = 2.4 GiB,
    # ceil(48.83 / 2.4) = 21 shards; cache.f1.large 9.6 GiB, 6 shards. Valkey nodes at 20% off: $36.50 x 0.8 =
    # $29.20 and $146 x 0.8 = $116.80. 21 x 2 x $29.20 = $1,226.40 beats 6 x 2 x $116.80 = $1,401.60.
    got = plan(100_000, 1_024_000, {"cache": {"engine": "valkey", "max_memory_use": 0.8}})
    cache = got.cache
    assert (cache.engine, cache.node_type, cache.shards, cache.num_nodes) == ("valkey", "cache.f1.medium", 21, 42)
    assert cache.usable_memory_gib_per_node == pytest.approx(2.4)
    assert cache.monthly_usd == pytest.approx(21 * 2 * 0.05 * 0.8 * H, abs=CENT)
    assert cache.reason == (
        "21 shards of 2 x cache.f1.medium ($1,226.40), Valkey, vs 6 shards of 2 x cache.f1.large ($1,401.60)"
    )
    row = next(i for i in got.cost.breakdown if i.key == "elasticache")
    assert (row.item, *lines(got)["elasticache"]) == ("ElastiCache (Valkey)", *about(*(21 * 2 * 0.05 * 0.8 * H,) * 3))


def test_a_tie_between_layouts_goes_to_fewer_shards(plan):
    # 20,000 users: 9.77 GiB. ceil(9.77 / 3) = 4 shards of cache.f1.medium x 2 x $36.50 = $292, and one
    # cache.f1.large pair 2 x $146 = $292: the same price, so the single shard.
    cache = plan(20_000, 204_800).cache
    assert (cache.node_type, cache.shards, cache.num_nodes) == ("cache.f1.large", 1, 2)
    assert cache.monthly_usd == pytest.approx(2 * 0.20 * H, abs=CENT)
    assert cache.monthly_usd == pytest.approx(4 * 2 * 0.05 * H, abs=CENT)
    assert cache.reason == "2 x cache.f1.large ($292.00), Redis OSS, vs 4 shards of 2 x cache.f1.medium ($292.00)"


@pytest.mark.parametrize("zones", [2, 3, 6])
def test_nat_hours_and_addresses_are_paid_per_gateway(plan, zones):
    # Large tier: a gateway per zone, each $0.05 an hour; the bytes processed (10,512 GB at peak) do not depend on
    # how many gateways share them. An Elastic IP per gateway and an NLB address per zone.
    got = plan(5_000, 51_200, {"availability_zones": zones})
    assert got.network.nat_gateways == zones
    assert lines(got)["nat_gateways"] == about(
        zones * 0.05 * H + 1_051.2 * 0.01, zones * 0.05 * H + 1_051.2 * 0.01, zones * 0.05 * H + 10_512 * 0.01
    )
    assert lines(got)["public_ipv4"] == about(*((zones + zones) * 0.01 * H,) * 3)
    # Answers cross to a frontend in another zone 1 - 1/zones of the time.
    assert lines(got)["data_transfer"][2] == pytest.approx(
        (21_024 - 100) * 0.10 + 21_024 * (1 - 1 / zones) * 2 * 0.01, abs=CENT
    )


@pytest.mark.parametrize(
    ("overrides", "peak", "mean"),
    [
        # Bytes: 100,000 users x 3 a minute = 5,000/s x 32 KB x 3,600 = 576 GB/h (the LOADS case).
        ({}, 576, 57.6),
        # Active connections: no response bytes, and 100,000 / 3,000 = 33.33 beats 5,000 / 10 / 25 = 20.
        ({"traffic": {"response_kb_per_request": 0}}, 100_000 / 3_000, 10_000 / 3_000),
        # New connections: 60 requests a minute = 100,000/s, / 10 per connection / 25 = 400 beats 33.33.
        ({"traffic": {"response_kb_per_request": 0}, "requests_per_user_per_minute": 60}, 400, 40),
    ],
    ids=["processed-bytes", "active-connections", "new-connections"],
)
def test_each_load_balancer_dimension_is_billed_when_it_dominates(plan, overrides, peak, mean):
    got = plan(100_000, 1_024_000, overrides)
    assert lines(got)["load_balancer"] == about(
        (0.03 + mean * 0.01) * H, (0.03 + mean * 0.01) * H, (0.03 + peak * 0.01) * H
    )


def test_load_balancer_capacity_units_of_each_dimension():
    # ALB LCU: 25 new connections/s, 3,000 active connections, 1 GB/h, 1,000 rule evaluations/s; a new connection
    # per 10 requests; an open answer stream holds a connection of its own.
    assert alb_lcus(alb_dimensions(0, 250, 0, 0)) == (1, "new connections")  # 250/s = 25 new connections/s
    assert alb_lcus(alb_dimensions(3_000, 0, 0, 0)) == (1, "active connections")
    assert alb_lcus(alb_dimensions(2_000, 0, 1_000, 0)) == (1, "active connections")
    lcus, billed = alb_lcus(alb_dimensions(0, 100, 0, 100_000 / 3_600))  # 100/s x 27.78 KB = 10 GB/h; 0.4 new
    assert (lcus, billed) == (pytest.approx(10), "processed bytes")
    # The Ingress's one rule is under the 10 free: requests evaluate nothing billable.
    assert alb_dimensions(0, 1_000_000, 0, 0)["rule evaluations"] == 0
    dims = {"new connections": 0, "active connections": 0, "processed bytes": 0, "rule evaluations": 2_500}
    assert alb_lcus(dims) == (2.5, "rule evaluations")
    assert alb_lcus(alb_dimensions(7_500, 750, 0, 0)) == (3, "new connections")  # 75/25 = 3 beats 7,500/3,000


@pytest.mark.parametrize("users", [1_000, 100_000])
def test_the_llm_line_by_hand(plan, users):
    # A turn a minute per user, 1,155 tokens in at $1 and 211 out at $5 per million: $0.00221 a turn. At peak all
    # month users x 60 x 730 turns; at the mean load a tenth of them.
    want = LOADS[users]
    got = plan(users, want["total"], llm="openai:gpt-test", token_prices=flat_token_prices(1, 5))
    assert got.llm.turn_usd == pytest.approx((1_155 * 1 + 211 * 5) / 1e6)
    turns = users * 60 * H
    assert lines(got)["llm_api"] == about(turns * 0.1 * 0.00221, turns * 0.1 * 0.00221, turns * 0.00221)
    assert (got.cost.llm_monthly_usd.min, got.cost.llm_expected_monthly_usd, got.cost.llm_monthly_usd.max) == about(
        turns * 0.1 * 0.00221, turns * 0.1 * 0.00221, turns * 0.00221
    )
    # The turns' bytes go through the NAT gateway: a 1,000-byte envelope + 1,155 x 4 bytes up; 500 bytes of headers
    # + 211 chunks of 4 bytes of text, 288 of OpenAI's chunk framing (the example chunk of sizing/llm/wire_bytes.py)
    # and 29 of TLS record down: 5,620 + 68,231 = 73,851 bytes a turn, processed at $0.01 a GB and, with one shared
    # gateway (1,000 users), crossing a zone 2/3 of the time at $0.01 each side. The prompts leave AWS for OpenAI:
    # 5,620 bytes a turn of internet data out at the fake table's one tier, $0.10 a GB (the users' answers already
    # use the free 100 GB, even at the mean).
    assert (got.llm.wire.request_bytes_per_turn, got.llm.wire.response_bytes_per_turn) == (5_620, 68_231)
    gigabytes = turns * 73_851 / 1e9
    extra = gigabytes * 0.01 + (gigabytes * 2 / 3 * 2 * 0.01 if want["nat_gateways"] == 1 else 0)
    extra += turns * 5_620 / 1e9 * 0.10
    assert lines(got)["data_transfer"][2] == pytest.approx(
        want["costs"]["data_transfer"][2] + turns * 5_620 / 1e9 * 0.10, abs=0.01
    )
    infra = [sum(c[n] for c in want["costs"].values()) + extra * share for n, share in enumerate((0.1, 0.1, 1))]
    assert (got.cost.monthly_usd.min, got.cost.expected_monthly_usd, got.cost.monthly_usd.max) == (
        pytest.approx(infra[0] + turns * 0.1 * 0.00221, abs=0.05),
        pytest.approx(infra[1] + turns * 0.1 * 0.00221, abs=0.05),
        pytest.approx(infra[2] + turns * 0.00221, abs=0.05),
    )
    assert got.cost.breakdown[-1].key == "llm_api" and got.cost.breakdown[-1].item == "LLM API tokens"
    # users / 60 turns/s x (1 s + 211 / 100 s) open streams, 200 a pod: far under the backends the users need.
    assert got.llm.peak.open_streams == pytest.approx(users / 60 * 3.11)
    assert (got.backend.min_replicas, got.backend.max_replicas) == want["backend"]
    monthly = got.llm.monthly
    assert (monthly.turns.min, monthly.turns.max) == (pytest.approx(turns * 0.1), pytest.approx(turns))
    assert monthly.input_tokens.max == pytest.approx(turns * 1_155)
    assert monthly.output_tokens.max == pytest.approx(turns * 211)


@pytest.mark.parametrize("users", [1_000, 100_000])
def test_extended_support_and_logs_kept_forever(plan, users):
    # Extended support: $0.60 an hour instead of $0.10, the $0.50 surcharge a line of its own. Logs kept forever are
    # priced as a year's stock: 365 days of the month's GB, 15% of them and 26 bytes an event stored at $0.03, beside
    # the GB ingested at $0.50 (LOADS: 23.88 and 32.24 GB at 1,000 users, 294.51 and 574.96 at 100,000). Neither
    # depends on the load.
    got = plan(users, LOADS[users]["total"], {"cluster": {"support": "EXTENDED", "log_retention_days": 0}})
    rows = lines(got)
    assert rows["eks_control_plane"] == about(*(0.10 * H,) * 3)
    assert rows["eks_extended_support"] == about(*((0.60 - 0.10) * H,) * 3)
    fleets = {1_000: ((17, 32), 14, 28), 100_000: ((502, 1_002), 1_400, 2_800)}
    nodes, floor, ceiling = fleets[users]
    low, high = (nodes[0], floor), (nodes[1], ceiling + ceiling - floor)

    def forever(bound: tuple[int, int]) -> float:
        return log_bill(*bound, days=365)

    assert rows["control_plane_logs"] == about(forever(low), forever(low), forever(high))
    labels = {i.key: i.item for i in got.cost.breakdown}
    assert labels["eks_extended_support"] == "EKS extended support"
    assert labels["control_plane_logs"] == LOG_LABELS[users].replace("90 days", "365 days")
    keys = [i.key for i in got.cost.breakdown]
    assert keys[keys.index("kms_key") :][:4] == [
        "kms_key",
        "control_plane_logs",
        "eks_extended_support",
        "nat_gateways",
    ]
    standard = LOADS[users]["costs"]
    assert got.cost.monthly_usd.max == pytest.approx(
        sum(c[2] for c in standard.values()) + (0.60 - 0.10) * H + forever(high) - log_bill(*high), abs=0.05
    )


def test_a_set_log_volume_is_priced_as_set(plan):
    # cluster.log_gb_per_month still overrides the derived volume, at every bound and whatever the cluster's size:
    # 30 GB ingested at $0.50, 15% of them kept 90 days (a stock of 30 x 0.15 x 90 / (365 / 12) = 13.32 GB) at $0.03,
    # and 26 bytes for each of its events, counted at the derived expected bound's mean event size (LOADS' min fleet).
    fleets = {1_000: (17, 14), 100_000: (502, 1_400)}
    for users in (1_000, 100_000):
        got = plan(users, LOADS[users]["total"], {"cluster": {"log_gb_per_month": 30}})
        mean = log_gb(*fleets[users]) * 1e9 / log_events(*fleets[users])
        assert lines(got)["control_plane_logs"] == about(*(log_usd(30, 30e9 / mean),) * 3)
        row = next(i for i in got.cost.breakdown if i.key == "control_plane_logs")
        assert row.item == "Control-plane logs (30 GB/month, 90 days kept)"
        assert row.source.startswith(f"cluster.log_gb_per_month as set, events of the derived mean {mean:,.0f} bytes; ")


def test_the_month_is_the_assumptions_days_not_the_tables_hours(plan):
    # 28 days = 672 hours: every hourly price follows; per-month prices (gp3, storage, KMS, logs) do not.
    got = plan(5_000, 51_200, {"traffic": {"days_per_month": 28}})
    rows = lines(got)
    assert rows["eks_control_plane"] == about(*(0.10 * 672,) * 3)
    assert rows["ec2_nodes"] == about(27 * 0.20 * 672, 27 * 0.20 * 672, 52 * 0.20 * 672)
    assert rows["ebs_volumes"] == about(27 * 20 * 0.10, 27 * 20 * 0.10, 52 * 20 * 0.10)
    assert rows["elasticache"] == about(*(2 * 0.05 * 672,) * 3)
    assert rows["kms_key"] == about(1.00, 1.00, 1.00)
    # 250/s x 16 KB x 672 x 3,600 s = 9,676.8 GB at peak.
    assert rows["nat_gateways"][2] == pytest.approx(3 * 0.05 * 672 + 9_676.8 * 0.01, abs=CENT)
    assert rows["dynamodb"][2] == pytest.approx(1_562.5 * 0.0001 * 672 + 625 * 0.0005 * 672 + 250 * 0.50, abs=CENT)


def test_arm64_takes_the_graviton_type(plan):
    # Only ar1.xlarge is arm64: gp1.xlarge's shape, so 7 .. 12 nodes at 1,000 users (LOADS), at $0.16 an hour, no
    # credits.
    got = plan(1_000, 10_240, arch="arm64")
    assert (got.nodes.instance_type, got.nodes.min_nodes, got.nodes.max_nodes) == ("ar1.xlarge", 7, 12)
    assert lines(got)["ec2_nodes"] == about(7 * 0.16 * H, 7 * 0.16 * H, 12 * 0.16 * H)
    assert lines(got)["ebs_volumes"] == about(7 * 20 * 0.10, 7 * 20 * 0.10, 12 * 20 * 0.10)
    assert "burstable_credits" not in lines(got)
    assert got.workload.arch == "arm64"


def test_a_pinned_type_is_priced_the_same_way(plan):
    # gp1.2xlarge pinned at 1,000 users: 3 .. 5 nodes (see LOADS), $0.44 an hour; 28 app pods + 7 add-on pods, 7 a
    # node: ceil(7 / 14) + 1 = 2 ENIs of 15 addresses each.
    got = plan(1_000, 10_240, instance_type="gp1.2xlarge")
    assert (got.nodes.min_nodes, got.nodes.max_nodes, got.nodes.pinned) == (3, 5, True)
    assert lines(got)["ec2_nodes"] == about(3 * 0.44 * H, 3 * 0.44 * H, 5 * 0.44 * H)
    assert lines(got)["ebs_volumes"] == about(3 * 20 * 0.10, 3 * 20 * 0.10, 5 * 20 * 0.10)
    assert "burstable_credits" not in lines(got)
    assert got.network.vpc_ips_max == 5 * 2 * 15


@pytest.fixture
def spot_world(fake_catalog, fake_prices):
    """gp1.xlarge's shape in two more families, gp2 and gp3, dearer on demand but cheaper on Spot: a pool of three."""
    twins = {
        name: fake_catalog.instance_types["gp1.xlarge"].model_copy(update={"name": name})
        for name in ("gp2.xlarge", "gp3.xlarge")
    }
    catalog = fake_catalog.model_copy(update={"instance_types": {**fake_catalog.instance_types, **twins}})
    prices = fake_prices.model_copy(
        update={
            "ec2_hour": {**fake_prices.ec2_hour, "gp2.xlarge": 0.22, "gp3.xlarge": 0.24},
            "spot_discount": SpotDiscount(
                as_of="2000-01-03", source="invented", families={"gp1": 0.5, "gp2": 0.6, "gp3": 0.7}
            ),
            "savings_plan_discount": SavingsPlanDiscount(
                as_of="2000-01-04", source="invented", terms={"1y": 0.25, "3y": 0.5}
            ),
        }
    )
    return catalog, prices


@pytest.mark.parametrize(("users", "low", "high"), [(5_000, 27, 52), (100_000, 502, 1_002)])
def test_spot_burst_lines_by_hand(spot_world, users, low, high):
    # gp1.xlarge is chosen as without Spot (LOADS), its twins scheduling the same: the max fleet needs the same
    # nodes. The min nodes stay on demand in every bound; the ones above them run on Spot, priced at the dearest
    # Spot price of the pool: gp3 $0.24 x 0.3 = $0.072, gp2 $0.22 x 0.4 = $0.088, gp1 $0.20 x 0.5 = $0.10 an hour.
    # Spot is in the max bound only (the expected bill keeps the min fleet); every node has its volume.
    catalog, prices = spot_world
    got = build(catalog, prices, users, LOADS[users]["total"], capacity="spot-burst")
    assert got.nodes.instance_type == "gp1.xlarge"
    assert [t.instance_type for t in got.nodes.spot.instance_types] == ["gp3.xlarge", "gp2.xlarge", "gp1.xlarge"]
    assert (got.nodes.min_nodes, got.nodes.max_nodes, got.nodes.spot.burst_nodes) == (low, high, high - low)
    rows = lines(got)
    assert rows["ec2_nodes"] == about(*(low * 0.20 * H,) * 3)
    assert rows["ec2_spot_nodes"] == about(0, 0, (high - low) * 0.20 * 0.5 * H)
    assert rows["ebs_volumes"] == about(low * 20 * 0.10, low * 20 * 0.10, high * 20 * 0.10)
    labels = {i.key: i.item for i in got.cost.breakdown}
    assert (labels["ec2_nodes"], labels["ec2_spot_nodes"]) == ("EC2 nodes (on-demand)", "EC2 Spot nodes (burst)")
    assert [i.key for i in got.cost.breakdown][:4] == [
        "eks_control_plane",
        "ec2_nodes",
        "ec2_spot_nodes",
        "ebs_volumes",
    ]


def test_a_savings_plan_prices_the_min_fleet(spot_world):
    # 3y at 50% off: the 27 min nodes (LOADS) at $0.20 x 0.5 in every bound, the 52 - 27 = 25 above them on demand.
    catalog, prices = spot_world
    got = build(catalog, prices, 5_000, 51_200, savings_plan="3y")
    assert lines(got)["ec2_nodes"] == about(
        27 * 0.20 * 0.5 * H, 27 * 0.20 * 0.5 * H, 27 * 0.20 * 0.5 * H + 25 * 0.20 * H
    )
    assert got.nodes.savings_plan.commitment_usd_per_hour == pytest.approx(27 * 0.20 * 0.5)


def test_hand_figures_of_the_fake_nodes():
    # The per-node figures the module docstring derives, from the kubelet formulas of docs/methodology.md.
    assert 4_000 - (60 + 10 + 5 + 5) - 420 == 3_500
    assert math.floor(16 * 1024 * 0.925 - (255 + 11 * 29) - 100) - 481 == 14_000
    assert 8_000 - (60 + 10 + 5 + 5 + 4 * 2.5) - 420 == 7_490
    assert 2_000 - (60 + 10) - 420 == 1_510
    # The add-ons' 7 pods on one node, and what they leave for the app's.
    assert (2 * 100 + 2 * 100 + 100 + 2 * 100, 2 * 70 + 2 * 200 + 600 + 2 * 128) == (700, 1_396)
    assert (3_500 - 700, 7_490 - 700, 1_510 - 700, 10 - 7) == (2_800, 6_790, 810, 3)
    # The month's node prices and the credits of the 1,000-user max fleet.
    assert about(148, 323.2, 45.8) == (0.20 * H + 20 * 0.10, 0.44 * H + 20 * 0.10, 0.06 * H + 20 * 0.10)
    assert round(((26_000 + 32 * 420 + 700) * 0.7 / 1000 - 32 * 0.8) * 0.05 * H, 2) == 91.18
