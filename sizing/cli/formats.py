"""Machine-readable renderings of a plan: JSON (the contract), YAML, Markdown and Helm values."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sizing.plan import LLMPlan, NodeGroupPlan, NodePlan, OtherArch, PodPlan, SizingPlan


def money(value: float, cents: bool | None = None) -> str:
    cents = value < 1_000 if cents is None else cents
    return f"${value:,.2f}" if cents else f"${value:,.0f}"


def money_range(low: float, high: float) -> str:
    """Both ends in one precision, set by the larger: "$234 - $1,020", not "$234.62 - $1,020"."""
    cents = high < 1_000
    return money(low, cents) if low == high else f"{money(low, cents)} - {money(high, cents)}"


def _count(value: float) -> str:
    """Token volumes span 10^3 to 10^13: 1.4M, 50.6B read better than 50,589,000,000."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def _quota_text(plan: LLMPlan) -> str:
    quota, peak = plan.quota, plan.peak
    if plan.counting == "input_output" and quota.input_tokens_per_minute is not None:
        return (
            f"{_count(peak.input_tokens_per_minute)} in / {_count(peak.output_tokens_per_minute)} out of "
            f"{_count(quota.input_tokens_per_minute)} / {_count(quota.output_tokens_per_minute or 0)} "
            f"({quota.name})"
        )
    limit = _count(quota.tokens_per_minute) if quota.tokens_per_minute is not None else "unknown quota"
    return f"{_count(peak.tokens_per_minute)} of {limit}"


def llm_rows(plan: LLMPlan) -> list[tuple[str, str]]:
    """The LLM panel's rows, shared by the terminal report and Markdown."""
    if plan.self_hosted is not None:
        from sizing.cli.selfhosted_rows import self_hosted_rows

        return self_hosted_rows(plan)
    prices = plan.price_per_million
    burndown = f", output x{plan.output_burndown:g}" if plan.output_burndown != 1 else ""
    return [
        ("Model", f"{plan.provider_name} {plan.model}"),
        (
            "Token Prices",
            f"${prices.input:g} in / ${prices.cached_input:g} cached / ${prices.output:g} out per 1M "
            f"({plan.prices_as_of})",
        ),
        ("Peak Turns/Second", f"{plan.peak.turns_per_second:,.1f} ({plan.peak.requests_per_minute:,.0f} requests/min)"),
        ("Peak Tokens/Minute", _quota_text(plan) + burndown),
        (
            "Open Streams",
            f"{plan.peak.open_streams:,.0f} at peak, {plan.peak.stream_seconds:.1f} s each "
            f"(p90 {plan.peak.stream_seconds_p90:.1f} s)",
        ),
        (
            "Monthly Tokens",
            f"{_count(plan.monthly.input_tokens.min)} - {_count(plan.monthly.input_tokens.max)} in, "
            f"{_count(plan.monthly.output_tokens.min)} - {_count(plan.monthly.output_tokens.max)} out",
        ),
        (
            "LLM Cost",
            f"{money_range(plan.monthly_usd.min, plan.monthly_usd.max)} / month "
            f"(${plan.turn_usd * 1000:,.2f} per 1,000 turns)",
        ),
        *_conversation_rows(plan),
    ]


def _conversation_rows(plan: LLMPlan) -> list[tuple[str, str]]:
    rows = []
    if plan.conversation is not None:
        c = plan.conversation
        rows.append(
            (
                "Conversation",
                f"{c.model}: {c.turns_per_conversation:,} turn{'s' if c.turns_per_conversation > 1 else ''}, "
                f"{c.mean_input_tokens_per_turn:,.0f} tokens in per turn on average "
                f"({c.first_turn_input_tokens:,} first, {c.last_turn_input_tokens:,} last)",
            )
        )
    if plan.caching is not None:
        k = plan.caching
        saving = k.saving_monthly_usd
        rows.append(
            (
                "Prompt Caching",
                f"{k.cached_share:.0%} of input cached, saves {money_range(saving.min, saving.max)} / month; {k.reason}"
                if k.applied
                else k.reason,
            )
        )
    return rows


def group_text(group: NodeGroupPlan) -> str:
    if group.capacity_type == "SPOT":
        return f"{group.name} ({group.min_nodes}-{group.max_nodes}, Spot: {', '.join(group.instance_types)})"
    return f"{group.name} ({group.min_nodes}-{group.max_nodes})"


def addons_text(nodes: NodePlan) -> str:
    """The add-on pods the node count holds beside the app's, and which they are."""
    total = nodes.addon_requests
    if not total.pods:
        return "none"
    return (
        f"{total.pods} pods, {total.cpu_m:,}m CPU, {total.memory_mib:,} MiB requested, packed beside the app's on "
        f"every fleet ({', '.join(f'{a.name} x{a.replicas}' for a in nodes.addons)})"
    )


def other_arch_text(other: OtherArch) -> str:
    return (
        f"{other.arch} would cost {money(other.saving_monthly_usd)} less a month ({other.instance_type}, "
        f"{other.min_nodes}-{other.max_nodes} nodes, {money(other.expected_monthly_usd)} expected): --arch "
        f"{other.arch}"
    )


def saving_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    """The Spot burst's and the Savings Plan's lines, shared by the terminal report and Markdown."""
    nodes, rows = plan.nodes, []
    if nodes.spot is not None:
        spot = nodes.spot
        if spot.burst_nodes:
            rows.append(
                (
                    "Spot Saving",
                    f"{money(spot.saving_monthly_usd)} / month against all on-demand at the max "
                    f"fleet ({spot.burst_nodes:,} burst nodes on Spot at up to "
                    f"${spot.hourly_usd:.4f}/hour, discounts as of {spot.discounts_as_of})",
                )
            )
        else:
            rows.append(("Spot Saving", "none: the max fleet is the min fleet, so there is no burst to put on Spot"))
    if nodes.savings_plan is not None:
        sp = nodes.savings_plan
        rows.append(
            (
                "Savings Plan",
                f"{sp.term} Compute Savings Plan: commit ${sp.commitment_usd_per_hour:,.4f}/hour, "
                f"saves {money(sp.saving_monthly_usd)} / month ({sp.discount:.0%} off the min "
                f"fleet's instances; rates as of {sp.rates_as_of})",
            )
        )
    return rows


def cost_summary_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    """The cost panel's summary rows, shared by the terminal report and the HTML page."""
    cost = plan.cost
    return [
        ("Expected (Monthly)", f"{money(cost.expected_monthly_usd)} on the day's load profile"),
        (
            "Range (Monthly)",
            f"{money_range(cost.monthly_usd.min, cost.monthly_usd.max)} (all at minimum - all at the HPA ceiling)",
        ),
        (
            "Infrastructure",
            f"{money(cost.infrastructure_expected_monthly_usd)} expected "
            f"({money_range(cost.infrastructure_monthly_usd.min, cost.infrastructure_monthly_usd.max)})",
        ),
        (
            "LLM (self-hosted)" if plan.llm is not None and plan.llm.self_hosted is not None else "LLM API",
            f"{money(cost.llm_expected_monthly_usd)} expected "
            f"({money_range(cost.llm_monthly_usd.min, cost.llm_monthly_usd.max)})",
        ),
        ("Cost per User", f"${cost.per_user_usd.min:.4f} - ${cost.per_user_usd.max:.4f}"),
        *saving_rows(plan),
    ]


def edge_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    """The ALB's LCUs and the WAF limit, each with where it comes from (docs/methodology.md, "The public edge")."""
    lb, waf = plan.edge.load_balancer, plan.edge.waf
    rules = "a rate-based rule per client IP" + (" and AWS's managed common rule set" if waf.managed_rules else "")
    return [
        (
            "Load Balancer",
            f"ALB, {lb.lcus:,.2f} LCUs at peak, billed on {lb.billed_dimension} ({lb.new_connections_per_second:,.1f} "
            f"new connections/s, {lb.active_connections:,.0f} active, {lb.processed_gb_per_hour:,.2f} GB/h)",
        ),
        ("WAF Rate Limit", waf.rate_limit_reason),
        ("WAF Rules", rules),
    ]


def network_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    """The VPC's way out, and which way the model's calls take (engine/llm_route.py)."""
    network = plan.network
    rows = [
        (
            "Zones / NAT",
            f"{network.availability_zones} availability zones, "
            + ("one shared NAT gateway" if network.nat_gateways == 1 else f"{network.nat_gateways} NAT gateways"),
        )
    ]
    route = network.llm_route
    if route is not None:
        way = "Bedrock interface endpoint" if route.via == "interface_endpoint" else "NAT"
        rows.append(("LLM Traffic", f"{way}, {route.expected_monthly_gb:,.0f} GB a month expected: {route.reason}"))
    return rows


def choice_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    """One line per service choice: what was chosen and what it was weighed against."""
    nodes = plan.nodes
    node_line = (
        f"{nodes.instance_type}: {money_range(nodes.monthly_usd.min, nodes.monthly_usd.max)} (min - max fleet"
        + (", the burst on Spot)" if nodes.spot else ")")
    )
    if nodes.pinned:
        node_line += ", pinned"
    elif nodes.alternatives:
        other = nodes.alternatives[0]
        node_line += (
            f" vs {other.instance_type}: {money_range(other.monthly_usd.min, other.monthly_usd.max)}, the next cheapest"
        )
    rows = [("Nodes", node_line)]
    if nodes.other_arch is not None:
        rows.append(("Architecture", other_arch_text(nodes.other_arch)))
    rows += [("DynamoDB", plan.database.mode_reason), ("Cache", plan.cache.reason)]
    if plan.network.llm_route is not None:
        rows.append(("LLM Network Path", plan.network.llm_route.reason))
    if plan.llm is not None:
        rows.append(
            ("LLM", f"{plan.llm.model}: ${plan.llm.turn_usd * 1000:,.2f} per 1,000 turns (--llm to compare others)")
        )
    return rows


def comparison_rows(plans: Sequence[SizingPlan]) -> list[list[str]]:
    """Scenarios as columns, so the eye reads a metric across loads: the seed's cost-estimation use case."""
    rows = [["", *(f"{p.workload.concurrent_users:,} users" for p in plans)]]
    metrics = [
        ("LLM", lambda p: p.llm.model if p.llm else "none"),
        ("Tier", lambda p: p.tier),
        ("Backend pods", lambda p: f"{p.backend.min_replicas:,}-{p.backend.max_replicas:,}"),
        ("Frontend pods", lambda p: f"{p.frontend.min_replicas:,}-{p.frontend.max_replicas:,}"),
        ("Instance type", lambda p: p.nodes.instance_type),
        ("Capacity", lambda p: p.nodes.capacity),
        ("Nodes", lambda p: f"{p.nodes.min_nodes:,}-{p.nodes.max_nodes:,}"),
        ("DynamoDB mode", lambda p: "on-demand" if p.database.billing_mode == "PAY_PER_REQUEST" else "provisioned"),
        ("Cache", lambda p: f"{p.cache.num_nodes} x {p.cache.node_type}" if p.cache.enabled else "off"),
        (
            "Infrastructure",
            lambda p: money_range(p.cost.infrastructure_monthly_usd.min, p.cost.infrastructure_monthly_usd.max),
        ),
        ("LLM API", lambda p: money_range(p.cost.llm_monthly_usd.min, p.cost.llm_monthly_usd.max)),
        ("LLM peak TPM", lambda p: f"{p.llm.peak.tokens_per_minute:,.0f}" if p.llm else "-"),
        ("Expected monthly", lambda p: money(p.cost.expected_monthly_usd)),
        ("Monthly range", lambda p: money_range(p.cost.monthly_usd.min, p.cost.monthly_usd.max)),
        ("Per user", lambda p: f"${p.cost.per_user_usd.min:.4f}-${p.cost.per_user_usd.max:.4f}"),
    ]
    if any(p.llm is not None and p.llm.self_hosted is not None for p in plans):
        metrics.append(("LLM GPU nodes", _gpu_nodes))
    rows += [[label, *(value(p) for p in plans)] for label, value in metrics]
    return rows


def _gpu_nodes(plan: SizingPlan) -> str:
    sh = plan.llm.self_hosted if plan.llm is not None else None
    return (
        "-" if sh is None else f"{sh.nodes.min:,}-{sh.nodes.max:,} x {sh.instance_type} (TP{sh.tensor_parallel_size})"
    )


def to_json(plan: SizingPlan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=2) + "\n"


def many_to_json(plans: Sequence[SizingPlan]) -> str:
    return json.dumps([plan.model_dump(mode="json") for plan in plans], indent=2) + "\n"


def to_yaml_text(data: object) -> str:
    from sizing.cli.yaml_text import yaml_text

    return yaml_text(data)


def to_yaml(plan: SizingPlan) -> str:
    return to_yaml_text(plan.model_dump(mode="json"))


def many_to_yaml(plans: Sequence[SizingPlan]) -> str:
    return to_yaml_text([plan.model_dump(mode="json") for plan in plans])


def cpu_quantity(millicores: int) -> str:
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def pod_values(pod: PodPlan, hpa_target_cpu_percent: int) -> dict:
    """The keys a ``helm create`` chart's templates read: replicaCount, resources and autoscaling."""
    return {
        "replicaCount": pod.min_replicas,
        "resources": {
            "requests": {"cpu": cpu_quantity(pod.cpu_request_m), "memory": f"{pod.memory_request_mib}Mi"},
            "limits": {"cpu": cpu_quantity(pod.cpu_limit_m), "memory": f"{pod.memory_limit_mib}Mi"},
        },
        "autoscaling": {
            "enabled": True,
            "minReplicas": pod.min_replicas,
            "maxReplicas": pod.max_replicas,
            "targetCPUUtilizationPercentage": hpa_target_cpu_percent,
        },
    }


def to_helm_values(plan: SizingPlan, app: str | None = None) -> str:
    """One app's values at the top level, for a plain ``helm create`` chart; both under their names otherwise,
    for an umbrella chart whose subcharts are called backend and frontend."""
    target = plan.assumptions.hpa_target_cpu_percent
    load = f"{plan.workload.concurrent_users:,} concurrent users ({plan.tier} tier)"
    if app is not None:
        header = f"# chat-infra sizing of the {app} for {load}: `helm install {app} ./chart -f values.yaml`.\n"
        return header + to_yaml_text(pod_values(getattr(plan, app), target))
    header = (
        f"# chat-infra sizing for {load}.\n"
        "# One block per subchart of an umbrella chart: `helm install chat ./chart -f values.yaml`.\n"
    )
    return header + to_yaml_text(
        {"backend": pod_values(plan.backend, target), "frontend": pod_values(plan.frontend, target)}
    )


def _md_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(plan: SizingPlan) -> str:
    nodes, db, cache, cost = plan.nodes, plan.database, plan.cache, plan.cost
    sections = [
        f"# Infrastructure sizing: {plan.tier} tier\n",
        f"{plan.workload.concurrent_users:,} concurrent users of {plan.workload.total_users:,} in "
        f"{plan.workload.region}; {plan.performance.requests_per_second:,.0f} requests/s; expected latency "
        f"{plan.performance.latency_ms.min}-{plan.performance.latency_ms.max} ms.\n",
        "## Pods\n",
        _md_table(
            [
                (
                    name,
                    f"{pod.min_replicas} - {pod.max_replicas}",
                    f"{pod.cpu_request_m}m / {pod.cpu_limit_m}m",
                    f"{pod.memory_request_mib} / {pod.memory_limit_mib} MiB",
                )
                for name, pod in (("backend", plan.backend), ("frontend", plan.frontend))
            ],
            ("Deployment", "Replicas (HPA)", "CPU request / limit", "Memory request / limit"),
        ),
        "\n## Nodes\n",
        f"{nodes.min_nodes} - {nodes.max_nodes} x **{nodes.instance_type}** ({nodes.vcpu} vCPU, "
        f"{nodes.memory_gib:g} GiB; allocatable {nodes.allocatable_cpu_m}m CPU, {nodes.allocatable_memory_mib} MiB, "
        f"{nodes.max_pods} pods) in {len(nodes.groups)} managed node group(s): "
        f"{', '.join(group_text(g) for g in nodes.groups)}. Rule: {nodes.selection_rule}. "
        f"Cluster add-ons: {addons_text(nodes)}.\n",
        _md_table(
            [
                (o.instance_type, f"{o.min_nodes} - {o.max_nodes}", money_range(o.monthly_usd.min, o.monthly_usd.max))
                for o in nodes.alternatives
            ],
            ("Alternative", "Nodes", "Monthly"),
        ),
        "\n## Data\n",
        _md_table(
            [
                ("DynamoDB mode", db.billing_mode),
                ("Read / write capacity units", f"{db.read_capacity_units:,} / {db.write_capacity_units:,}"),
                ("On-demand monthly", money_range(db.monthly_usd_on_demand.min, db.monthly_usd_on_demand.max)),
                ("Provisioned monthly", money_range(db.monthly_usd_provisioned.min, db.monthly_usd_provisioned.max)),
                ("DynamoDB mode choice", db.mode_reason),
                ("ElastiCache", f"{cache.num_nodes} x {cache.node_type} ({cache.engine})" if cache.enabled else "off"),
                ("ElastiCache choice", cache.reason),
            ],
            ("Item", "Value"),
        ),
        "\n## LLM\n",
        _md_table(llm_rows(plan.llm), ("Item", "Value")) if plan.llm else "None: sized without an LLM.",
        "\n## Network and public edge\n",
        _md_table(network_rows(plan) + edge_rows(plan), ("Item", "Value")),
        "\n## Monthly cost\n",
        _md_table(
            [
                (item.item, money(item.expected_monthly_usd), money_range(item.monthly_usd.min, item.monthly_usd.max))
                for item in cost.breakdown
            ]
            + [
                (
                    "Infrastructure subtotal",
                    money(cost.infrastructure_expected_monthly_usd),
                    money_range(cost.infrastructure_monthly_usd.min, cost.infrastructure_monthly_usd.max),
                ),
                (
                    "LLM subtotal",
                    money(cost.llm_expected_monthly_usd),
                    money_range(cost.llm_monthly_usd.min, cost.llm_monthly_usd.max),
                ),
                (
                    "**Total**",
                    f"**{money(cost.expected_monthly_usd)}**",
                    f"**{money_range(cost.monthly_usd.min, cost.monthly_usd.max)}**",
                ),
                ("Per registered user", "", f"${cost.per_user_usd.min:.4f} - ${cost.per_user_usd.max:.4f}"),
            ],
            ("Service", "Expected USD / month", "Min - max USD / month"),
        ),
        f"\nOn-demand list prices ({cost.currency}), {plan.workload.region}, as of {cost.prices_as_of}"
        + (f"; LLM token prices from {plan.llm.prices_as_of}" if plan.llm else "")
        + ".\n",
    ]
    extra = saving_rows(plan) + ([("Architecture", other_arch_text(nodes.other_arch))] if nodes.other_arch else [])
    if extra:
        sections += ["\n## Savings\n", _md_table(extra, ("Item", "Value")) + "\n"]
    if plan.assumptions_source:
        from sizing.cli.calibrated_view import calibrated_rows

        rows = [(path, value, source.replace("|", "\\|")) for path, value, source in calibrated_rows(plan)]
        sections += ["\n## Calibrated assumptions\n", _md_table(rows, ("Assumption", "Value", "Measured from")) + "\n"]
    if plan.warnings:
        sections += ["\n## Warnings\n", "\n".join(f"- {w}" for w in plan.warnings) + "\n"]
    return "\n".join(sections)


def many_to_markdown(plans: Sequence[SizingPlan]) -> str:
    header, *rows = comparison_rows(plans)
    return _md_table(rows, header) + "\n"
