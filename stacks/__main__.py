"""chat-infra: the sizing plan, declared. Config -> Workload -> ``sizing.calculate`` -> components -> outputs.

Every number below comes from the plan; nothing here sizes anything.
"""

import config
import preflight
import pulumi
from autoscaler import ClusterAutoscaler, version_for
from cluster import Cluster, cluster_name_for, endpoint_warnings
from data import Data, require_table_quota
from edge import Edge, LoadBalancerController, alb_timeouts
from gpu_autoscaling import GpuAutoscaling
from gpu_autoscaling import prometheus_labels as scraper_labels
from gpu_serving import GPU_SLOT, GpuServing
from images import unpinned_warnings
from llm_access import grace_seconds
from llm_endpoint import BedrockEndpoint
from network import Network, require_address_space, subnet_cidrs
from workloads import NAMESPACE, PORT, App, Workloads
from workloads import labels as workload_labels

settings = config.load()
# Checked before anything is declared: an unpinned Kubernetes minor stops here, not halfway through an update.
autoscaler_version = version_for(settings.kubernetes_version)
plan = config.plan_for(settings.workload, settings.prices)
# Also before anything is declared: a fleet the VPC cannot address would fail node by node at the peak.
require_address_space(plan.network, settings.vpc_cidr)
# And a table that would need more than the per-table quota: CreateTable would refuse it only at `pulumi up`.
require_table_quota(plan.database, settings.dynamodb_table_quota)
# A self-hosted model's image and weight source: checked here too, before anything is declared.
serving, serving_warnings = config.serving_for(plan.llm)
# And what only the account can tell (Bedrock model access, EC2 vCPU quotas, the live cache's data), at preview.
preflight.at_preview(plan, settings)
edge_settings = settings.edge
assert edge_settings is not None  # config.load always reads the edge's keys
for warning in (
    plan.warnings + endpoint_warnings(settings.public_access_cidrs) + edge_settings.warnings() + serving_warnings
):
    pulumi.log.warn(warning)

cluster_name = cluster_name_for(pulumi.get_project(), pulumi.get_stack())
network = Network(
    "network",
    plan.network,
    settings.vpc_cidr,
    cluster_name,
    region=settings.workload.region,
    pinned_zone_ids=settings.availability_zone_ids,
    allow_subnet_move=settings.allow_subnet_move,
)
cluster = Cluster(
    "cluster",
    plan.nodes,
    cluster_name=cluster_name,
    kubernetes_version=settings.kubernetes_version,
    region=settings.workload.region,
    subnet_ids=network.private_subnet_ids,
    disk_gib=plan.assumptions.node_disk_gib,
    admin_principal_arns=settings.admin_principal_arns,
    public_access_cidrs=settings.public_access_cidrs,
    log_retention_days=settings.log_retention_days,
    upgrade_policy=settings.upgrade_policy,
    node_update_max_unavailable_percent=settings.node_update_max_unavailable_percent,
    identity=settings.identity,
    zone_ids=network.zone_ids,
    other_slots=[GPU_SLOT] if plan.llm is not None and plan.llm.self_hosted is not None else [],
)
data = Data(
    "data",
    plan.database,
    plan.cache,
    target_utilization=plan.assumptions.database.target_utilization,
    vpc_id=network.vpc_id,
    subnet_ids=network.private_subnet_ids,
    node_security_group_id=cluster.node_security_group_id,
    auth_token_generation=settings.cache_auth_token_generation,
    auth_token_set_generation=settings.cache_auth_token_set_generation,
)
route = plan.network.llm_route
if route is not None and route.via == "interface_endpoint" and plan.llm is not None:
    # The model itself is there with or without the app (the plan bills its calls either way), and so is its way in.
    bedrock_endpoint = BedrockEndpoint(
        "bedrock-endpoint",
        route,
        plan.llm.model,
        region=settings.workload.region,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        zone_names=network.zone_names,
        node_security_group_id=cluster.node_security_group_id,
        cluster_name=cluster.cluster_name,
        namespace=NAMESPACE,
        service_account="backend",
    )
    pulumi.export("bedrockEndpointId", bedrock_endpoint.endpoint.id)
# Cluster infrastructure, deployed with or without the app: it is what moves the node groups between the plan's
# minimum and maximum.
ClusterAutoscaler(
    "autoscaler",
    cluster_name=cluster.cluster_name,
    region=settings.workload.region,
    version=autoscaler_version,
    provider=cluster.provider,
    # Scale-in waits for the app's pods to finish streaming, as long as they are given to (workloads.py).
    pod_grace_seconds=grace_seconds(plan.llm),
    # Under spot-burst the burst prefers the Spot groups.
    spot_node_group_names=cluster.spot_node_group_names,
    # While a type change has old and new groups side by side, scale-up grows the plan's groups only.
    node_group_names=cluster.node_group_names,
)
# Also cluster infrastructure: it turns the frontend's Ingress into the ALB (and deletes the ALB on destroy).
lb_controller = LoadBalancerController(
    "lb-controller",
    cluster_name=cluster.cluster_name,
    region=settings.workload.region,
    vpc_id=network.vpc_id,
    provider=cluster.provider,
)
if serving is not None and plan.llm is not None and plan.llm.self_hosted is not None:
    # The model itself, like an API model, is there with or without the app: the plan bills it either way.
    gpu = GpuServing(
        "gpu",
        plan.llm,
        serving,
        cluster_name=cluster.cluster_name,
        region=settings.workload.region,
        kubernetes_version=settings.kubernetes_version,
        node_role_arn=cluster.node_role_arn,
        subnet_ids=network.private_subnet_ids,
        zone_ids=network.zone_ids,
        live_groups=cluster.live_groups,
        provider=cluster.provider,
        client_namespace=NAMESPACE,
        client_labels=workload_labels("backend"),
        scraper_labels=scraper_labels(),
        node_update_max_unavailable_percent=settings.node_update_max_unavailable_percent,
        depends_on=cluster.node_prerequisites,
    )
    GpuAutoscaling(
        "gpu-autoscaling",
        plan.llm.self_hosted,
        provider=cluster.provider,
        namespace=gpu.namespace,
        deployment=gpu.deployment,
    )
    pulumi.export("gpuNodeGroupName", gpu.node_group_name)
if settings.deploy_workloads:
    for warning in unpinned_warnings(
        {"backendImage": settings.backend_image, "frontendImage": settings.frontend_image}
    ):
        pulumi.log.warn(warning)
    workloads = Workloads(
        "workloads",
        backend=App(
            "backend",
            settings.backend_image,
            plan.backend,
            plan.assumptions.hpa_target_cpu_percent,
            llm=plan.llm,
            calls_llm=True,
        ),
        # The frontend relays the answer streams to the browser: it drains them too.
        frontend=App(
            "frontend",
            settings.frontend_image,
            plan.frontend,
            plan.assumptions.hpa_target_cpu_percent,
            llm=plan.llm,
            readiness_path=edge_settings.readiness_path,
        ),
        provider=cluster.provider,
        cluster_name=cluster.cluster_name,
        region=settings.workload.region,
        table_name=data.table_name,
        table_arn=data.table_arn,
        table_retention_days=plan.database.retention_days,
        cache_endpoint=data.cache_endpoint,
        cache_auth_token=data.cache_auth_token,
        cache_cluster_mode=data.cache_cluster_mode,
        vpc_cidr=settings.vpc_cidr,
        llm_api_key=settings.llm_api_key,
        # Only the ALB, from the public subnets, reaches the frontend pods.
        load_balancer_cidrs=subnet_cidrs(settings.vpc_cidr, plan.network.availability_zones)[1],
    )
    edge = Edge(
        "edge",
        edge_settings,
        plan.edge.waf,
        alb_timeouts(plan.llm),
        edge_settings.readiness_path,
        namespace=NAMESPACE,
        service="frontend",
        service_port=80,
        pod_port=PORT,
        vpc_id=network.vpc_id,
        vpc_cidr=settings.vpc_cidr,
        region=settings.workload.region,
        provider=cluster.provider,
        depends_on=[lb_controller.release, workloads.services["frontend"]],
    )
    pulumi.export("url", edge.url)
    pulumi.export("certificateArn", edge.certificate_arn or "none (plain HTTP)")
    pulumi.export("tlsPolicy", edge.tls_policy)
    pulumi.export("webAclArn", edge.web_acl.arn)

pulumi.export("sizing", plan.model_dump(mode="json"))
pulumi.export("tier", plan.tier)
pulumi.export("monthlyCostExpectedUsd", plan.cost.expected_monthly_usd)
pulumi.export("monthlyCostMinUsd", plan.cost.monthly_usd.min)
pulumi.export("monthlyCostMaxUsd", plan.cost.monthly_usd.max)
pulumi.export("llmModel", f"{plan.llm.provider}:{plan.llm.model}" if plan.llm else "none")
pulumi.export("llmMonthlyCostMinUsd", plan.cost.llm_monthly_usd.min)
pulumi.export("llmMonthlyCostMaxUsd", plan.cost.llm_monthly_usd.max)
pulumi.export("llmPeakTokensPerMinute", plan.llm.peak.tokens_per_minute if plan.llm else 0)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("nodeGroupNames", cluster.node_group_names)
pulumi.export("tableName", data.table_name)
pulumi.export("cacheEndpoint", data.cache_endpoint)
pulumi.export("rateLimitPerIp", plan.edge.waf.rate_limit_per_ip)
