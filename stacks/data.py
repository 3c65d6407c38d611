"""Conversation storage (DynamoDB) and the session cache (ElastiCache), as the plan sizes them."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from sizing.plan import CachePlan, DatabasePlan

CACHE_PORT = 6379
# The engine the plan chose and priced (Valkey by default: Redis-compatible on the wire, 20% cheaper per node), its
# version and the family of its default parameter groups.
ENGINES = {"valkey": ("8.0", "valkey8"), "redis": ("7.1", "redis7")}


def cache_layout(plan: CachePlan) -> dict[str, Any]:
    """ReplicationGroup arguments for the plan's shape: one shard without cluster mode, several with it.

    Failover needs a replica to promote; with cluster mode AWS requires it on regardless.
    """
    if plan.shards > 1:
        return {
            "cluster_mode": "enabled",
            "num_node_groups": plan.shards,
            "replicas_per_node_group": plan.replicas_per_shard,
            "parameter_group_name": f"default.{ENGINES[plan.engine][1]}.cluster.on",
            "automatic_failover_enabled": True,
            "multi_az_enabled": plan.replicas_per_shard > 0,
        }
    return {
        "cluster_mode": "disabled",
        "num_cache_clusters": plan.num_nodes,
        "parameter_group_name": f"default.{ENGINES[plan.engine][1]}",
        "automatic_failover_enabled": plan.num_nodes > 1,
        "multi_az_enabled": plan.num_nodes > 1,
    }


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
        subnet_ids: list[pulumi.Input[str]],
        node_security_group_id: pulumi.Input[str],
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
            read_capacity=database.read_capacity_units if provisioned else None,
            write_capacity=database.write_capacity_units if provisioned else None,
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=True,
            ttl={"attribute_name": "expiresAt", "enabled": True},
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
        if cache.enabled:
            subnet_group = aws.elasticache.SubnetGroup(
                f"{name}-cache", description="chat-infra session cache", subnet_ids=subnet_ids, opts=child
            )
            security_group = aws.ec2.SecurityGroup(
                f"{name}-cache",
                description="chat-infra session cache: Redis from the EKS nodes only",
                vpc_id=vpc_id,
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-cache-from-nodes",
                security_group_id=security_group.id,
                referenced_security_group_id=node_security_group_id,
                ip_protocol="tcp",
                from_port=CACHE_PORT,
                to_port=CACHE_PORT,
                description="Redis from the EKS nodes",
                opts=child,
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
                transit_encryption_enabled=True,
                **cache_layout(cache),
                opts=child,
            )
            # Cluster mode is reached through the configuration endpoint, a single shard through its primary.
            self.cache_endpoint = (
                self.cache.configuration_endpoint_address if cache.shards > 1 else self.cache.primary_endpoint_address
            )

        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.register_outputs(
            {"tableName": self.table_name, "tableArn": self.table_arn, "cacheEndpoint": self.cache_endpoint}
        )
