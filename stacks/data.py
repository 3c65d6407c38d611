"""Conversation storage (DynamoDB) and the session cache (ElastiCache), as the plan sizes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from config import PROJECT, ConfigError
from rotation import auth_token_resource_name, auth_token_update_strategy
from security_groups import from_the_nodes_only

from sizing.engine.database import TTL_ATTRIBUTE
from sizing.plan import CachePlan, DatabasePlan

CACHE_PORT = 6379
# The tag a preview finds the stack's live replication group by (preflight.py reads it).
STACK_TAG = f"{PROJECT}:stack"
# The engine the plan chose and priced (Valkey by default: Redis-compatible on the wire, 20% cheaper per node), its
# version and the family of its default parameter groups.
ENGINES = {"valkey": ("8.0", "valkey8"), "redis": ("7.1", "redis7")}
# Cluster mode from the first shard on: going from one shard to several (and back) is then a change of
# num_node_groups, resharded online, where switching cluster mode on is allowed only in steps (through
# "compatible") and a new layout would replace the group and drop every session.
CACHE_CLUSTER_MODE = True
# AUTH tokens are 16-128 printable characters without @, " or /; 64 letters and digits hold ~380 bits.
CACHE_AUTH_TOKEN_LENGTH = 64
# DynamoDB's Service Quotas names for the per-table limits dynamodbTableQuota stands for.
TABLE_QUOTAS = {"read": "Table-level read throughput limit", "write": "Table-level write throughput limit"}


def cache_layout(plan: CachePlan) -> dict[str, Any]:
    """ReplicationGroup arguments for the plan's shape, in cluster mode whatever the number of shards.

    Only the counts differ between one shard and many, and both change in place. Cluster mode requires automatic
    failover on; Multi-AZ needs a replica to promote.
    """
    return {
        "cluster_mode": "enabled" if CACHE_CLUSTER_MODE else "disabled",
        "num_node_groups": plan.shards,
        "replicas_per_node_group": plan.replicas_per_shard,
        "parameter_group_name": f"default.{ENGINES[plan.engine][1]}.cluster.on",
        "automatic_failover_enabled": True,
        "multi_az_enabled": plan.replicas_per_shard > 0,
    }


def table_peaks(database: DatabasePlan) -> dict[str, int]:
    """The most capacity units per second the table may need: auto scaling's ceiling when provisioned, the plan's
    peak units on demand (which a table can serve only up to the same per-table quota)."""
    if database.billing_mode == "PROVISIONED":
        return {"read": database.read_autoscaling.max, "write": database.write_autoscaling.max}
    return {"read": database.read_capacity_units, "write": database.write_capacity_units}


def require_table_quota(database: DatabasePlan, quota: int) -> None:
    """Fail the preview, before anything is declared, when the table may need more than the per-table quota.

    Otherwise CreateTable (or auto scaling, or on-demand throttling at the peak) would be the first to say so, at
    ``pulumi up`` or in production.
    """
    over = {kind: peak for kind, peak in table_peaks(database).items() if peak > quota}
    if not over:
        return
    peaks = " and ".join(f"{peak:,} {kind}" for kind, peak in over.items())
    names = " and ".join(f'"{TABLE_QUOTAS[kind]}"' for kind in over)
    raise ConfigError(
        f"{PROJECT}:dynamodbTableQuota: the table may need {peaks} capacity units per second, above the per-table "
        f"quota of {quota:,}; ask AWS to raise the DynamoDB quota {names} to at least {max(over.values()):,} in "
        f"this region, then `pulumi config set {PROJECT}:dynamodbTableQuota {max(over.values())}`"
    )


class Data(pulumi.ComponentResource):
    """The table (protected: conversations must survive a mistaken ``up`` or ``destroy``) and, when the plan enables
    one, the cache, reachable only from the cluster's nodes and encrypted at rest and on the wire."""

    def __init__(
        self,
        name: str,
        database: DatabasePlan,
        cache: CachePlan,
        target_utilization: float,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        node_security_group_id: pulumi.Input[str],
        auth_token_generation: int = 1,
        auth_token_set_generation: int = 1,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:data:Data", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        provisioned = database.billing_mode == "PROVISIONED"

        self.table = aws.dynamodb.Table(
            f"{name}-conversations",
            billing_mode=database.billing_mode,
            # One table, one key schema: pk = conversation (or user), sk = message timestamp (or item kind).
            hash_key="pk",
            range_key="sk",
            attributes=[{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}],
            # Created at auto scaling's floor, which target tracking raises with the load: created at the peak, the
            # table would be refused above the per-table quota and billed for the peak from the first hour.
            read_capacity=database.read_autoscaling.min if provisioned else None,
            write_capacity=database.write_autoscaling.min if provisioned else None,
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=True,
            ttl={"attribute_name": TTL_ATTRIBUTE, "enabled": True},
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                # Auto scaling moves the provisioned capacity; a later `up` must not put it back.
                ignore_changes=["readCapacity", "writeCapacity"] if provisioned else None,
            ),
        )

        if provisioned:
            for dimension, bounds, metric in (
                ("Read", database.read_autoscaling, "DynamoDBReadCapacityUtilization"),
                ("Write", database.write_autoscaling, "DynamoDBWriteCapacityUtilization"),
            ):
                target = aws.appautoscaling.Target(
                    f"{name}-{dimension.lower()}-target",
                    service_namespace="dynamodb",
                    resource_id=self.table.name.apply(lambda table: f"table/{table}"),
                    scalable_dimension=f"dynamodb:table:{dimension}CapacityUnits",
                    min_capacity=bounds.min,
                    max_capacity=bounds.max,
                    opts=child,
                )
                aws.appautoscaling.Policy(
                    f"{name}-{dimension.lower()}-policy",
                    policy_type="TargetTrackingScaling",
                    service_namespace=target.service_namespace,
                    resource_id=target.resource_id,
                    scalable_dimension=target.scalable_dimension,
                    target_tracking_scaling_policy_configuration={
                        "predefined_metric_specification": {"predefined_metric_type": metric},
                        "target_value": round(target_utilization * 100, 2),
                    },
                    opts=child,
                )

        self.cache: aws.elasticache.ReplicationGroup | None = None
        self.cache_endpoint: pulumi.Output[str] | None = None
        self.cache_auth_token: pulumi.Output[str] | None = None
        self.cache_cluster_mode = CACHE_CLUSTER_MODE
        if cache.enabled:
            # A Pulumi secret: encrypted in the state, handed to the backend only through a Kubernetes Secret.
            # One token per generation (rotation.py): bumping the generation makes a new one.
            auth_token = random.RandomPassword(
                auth_token_resource_name(f"{name}-cache-auth", auth_token_generation),
                length=CACHE_AUTH_TOKEN_LENGTH,
                special=False,
                opts=child,
            )
            subnet_group = aws.elasticache.SubnetGroup(
                f"{name}-cache", description="chat-infra session cache", subnet_ids=subnet_ids, opts=child
            )
            security_group = from_the_nodes_only(
                f"{name}-cache",
                f"{name}-cache-from-nodes",
                "chat-infra session cache: Redis from the EKS nodes only",
                "Redis from the EKS nodes",
                CACHE_PORT,
                vpc_id,
                node_security_group_id,
                child,
            )
            self.cache = aws.elasticache.ReplicationGroup(
                f"{name}-cache",
                description="chat-infra session cache",
                engine=cache.engine,
                engine_version=ENGINES[cache.engine][0],
                node_type=cache.node_type,
                port=CACHE_PORT,
                subnet_group_name=subnet_group.name,
                security_group_ids=[security_group.id],
                at_rest_encryption_enabled=True,
                # AUTH needs TLS: the token never crosses the network in clear.
                transit_encryption_enabled=True,
                auth_token=auth_token.result,
                # ROTATE while the backend moves to a new token (old and new both accepted), SET once it has.
                auth_token_update_strategy=auth_token_update_strategy(auth_token_generation, auth_token_set_generation),
                # A node type change (vertical scaling, online) happens in this `up`, not in the next maintenance
                # window days later, while the plan's bill already counts the new type.
                apply_immediately=True,
                # How a preview finds the live group to check a scale-in against its data (preflight.py).
                tags={STACK_TAG: f"{pulumi.get_project()}/{pulumi.get_stack()}"},
                **cache_layout(cache),
                opts=child,
            )
            # Cluster mode is reached through the configuration endpoint, however many shards.
            self.cache_endpoint = self.cache.configuration_endpoint_address
            self.cache_auth_token = pulumi.Output.secret(auth_token.result)

        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.register_outputs(
            {"tableName": self.table_name, "tableArn": self.table_arn, "cacheEndpoint": self.cache_endpoint}
        )
