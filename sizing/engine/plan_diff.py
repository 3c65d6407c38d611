"""What a new plan changes against a deployed one: node groups, HPA bounds, table, cache, LLM quota need, bill.

Both sides are read from the plan's JSON (the ``sizing`` stack output, ``sizing report --format json``) through
``PlanView``, the few fields a diff needs, so a plan written by an older release (fields added since) still
compares, and a new plan is compared exactly as it will be exported. Pure: two plans in, a ``PlanDiff`` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sizing.errors import SizingError

# How a change reaches the running infrastructure.
Applies = Literal["unchanged", "in place", "rolling", "maintenance window", "replacement", "added", "removed"]


class _In(BaseModel):
    """Read leniently: fields this diff does not use are ignored, so a plan from any release since 1.0 is read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _Workload(_In):
    concurrent_users: int = Field(ge=0)
    total_users: int = Field(ge=0)
    active_ratio: float = Field(gt=0, le=1)
    region: str
    arch: str


class _Pods(_In):
    min_replicas: int = Field(ge=0)
    max_replicas: int = Field(ge=0)
    cpu_request_m: int = Field(ge=0)
    cpu_limit_m: int = Field(ge=0)
    memory_request_mib: int = Field(ge=0)
    memory_limit_mib: int = Field(ge=0)


class _Group(_In):
    name: str
    instance_type: str
    min_nodes: int = Field(ge=0)
    max_nodes: int = Field(ge=0)
    # Exported as computed fields; a plan that lacks them is an on-demand group of its one type.
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    instance_types: tuple[str, ...] = ()

    @property
    def types(self) -> tuple[str, ...]:
        return self.instance_types or (self.instance_type,)


class _SavingsPlan(_In):
    term: str


class _Nodes(_In):
    instance_type: str
    vcpu: int = Field(ge=0)
    min_nodes: int = Field(ge=0)
    max_nodes: int = Field(ge=0)
    pinned: bool = False
    capacity: str = "on-demand"
    savings_plan: _SavingsPlan | None = None
    groups: tuple[_Group, ...]


class _Scaling(_In):
    min: int = Field(ge=0)
    max: int = Field(ge=0)


class _Database(_In):
    billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"]
    read_capacity_units: int = Field(ge=0)
    write_capacity_units: int = Field(ge=0)
    read_autoscaling: _Scaling
    write_autoscaling: _Scaling


class _Cache(_In):
    enabled: bool
    engine: str = "redis"
    node_type: str | None
    num_nodes: int = Field(ge=0)
    shards: int = Field(ge=0)
    replicas_per_shard: int = Field(ge=0)
    usable_memory_gib_per_node: float = Field(ge=0)


class _Range(_In):
    min: float
    max: float


class _CostLine(_In):
    key: str = ""
    item: str
    monthly_usd: _Range
    expected_monthly_usd: float


class _Cost(_In):
    expected_monthly_usd: float
    monthly_usd: _Range
    breakdown: tuple[_CostLine, ...] = ()


class _Peak(_In):
    tokens_per_minute: float = Field(ge=0)
    requests_per_minute: float = Field(ge=0)


class _Quota(_In):
    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None
    name: str | None = None


class _LLM(_In):
    provider: str
    model: str
    peak: _Peak
    quota: _Quota


class PlanView(_In):
    """The fields of a SizingPlan's JSON a diff reads."""

    tier: str
    workload: _Workload
    backend: _Pods
    frontend: _Pods
    nodes: _Nodes
    database: _Database
    cache: _Cache
    cost: _Cost
    llm: _LLM | None
    # Kept whole, as recorded: a new plan for the same stack starts from them.
    assumptions: dict[str, Any] = Field(default_factory=dict)


# ---- the diff --------------------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Delta(_Out):
    before: float
    after: float
    delta: float


class NodeGroupChange(_Out):
    name: str
    applies: Applies
    before: str | None  # "t3a.small x 10-20 ON_DEMAND"; None: the group is new
    after: str | None  # None: the group goes
    min_nodes: Delta
    max_nodes: Delta
    note: str


class DeploymentChange(_Out):
    name: Literal["backend", "frontend"]
    applies: Applies  # "in place": only the HPA bounds; "rolling": the pod template (requests/limits) changes
    min_replicas: Delta
    max_replicas: Delta
    resources_before: str
    resources_after: str


class TableChange(_Out):
    applies: Applies
    mode_before: str
    mode_after: str
    # Provisioned: auto scaling's floor and ceiling; on demand: the plan's peak units per second.
    read_before: str
    read_after: str
    write_before: str
    write_after: str
    note: str


class CacheChange(_Out):
    applies: Applies
    before: str
    after: str
    usable_gib: Delta  # shards x usable memory per node: what the layout holds
    note: str


class LLMChange(_Out):
    applies: Applies
    model_before: str
    model_after: str
    tokens_per_minute: Delta
    requests_per_minute: Delta
    quota_tokens_per_minute: int | None  # the new plan's quota, None where nobody published it
    quota_name: str | None
    note: str


class CostLineChange(_Out):
    key: str
    item: str
    expected: Delta


class BillDelta(_Out):
    expected: Delta
    min: Delta
    max: Delta
    lines: list[CostLineChange]  # the lines whose expected monthly cost moved, largest move first


class PlanDiff(_Out):
    before_label: str  # "deployed" or "defaults"
    after_label: str
    concurrent_users: Delta
    total_users: Delta
    tier_before: str
    tier_after: str
    node_groups: list[NodeGroupChange]
    deployments: list[DeploymentChange]
    table: TableChange
    cache: CacheChange
    llm: LLMChange
    bill: BillDelta
    warnings: list[str]  # what will disturb the running app (replacements, removals)


def read_plan(data: Any, source: str) -> PlanView:
    """A plan's JSON (or ``pulumi stack output --json``'s object holding it as ``sizing``), or one line naming
    what is wrong with it."""
    if isinstance(data, Mapping) and "sizing" in data and isinstance(data["sizing"], Mapping):
        data = data["sizing"]
    if not isinstance(data, Mapping):
        raise SizingError(
            f"{source}: not a sizing plan (a JSON {type(data).__name__}, not an object); give the output of "
            "`pulumi stack output sizing --json` or `sizing report --format json`"
        )
    try:
        return PlanView.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the plan"
        raise SizingError(
            f"{source}: not a sizing plan ({where}: {first['msg'].lower()}); give the output of "
            "`pulumi stack output sizing --json` or `sizing report --format json`"
        ) from None


def _delta(before: float, after: float) -> Delta:
    return Delta(before=before, after=after, delta=round(after - before, 3))


def _group_text(group: Any) -> str:
    return f"{'/'.join(group.types)} x {group.min_nodes}-{group.max_nodes} {group.capacity_type}"


def _node_groups(before: _Nodes, after: _Nodes) -> list[NodeGroupChange]:
    """Matched by name. A group's instance types and capacity type cannot change in place (EKS refuses both in
    UpdateNodegroupConfig): a new group replaces it. Its min and max change in place."""
    old = {group.name: group for group in before.groups}
    new = {group.name: group for group in after.groups}
    changes = []
    for name in [*new, *(name for name in old if name not in new)]:
        was, now = old.get(name), new.get(name)
        if was is None:
            assert now is not None
            applies: Applies = "added"
            note = "a new node group"
        elif now is None:
            applies, note = "removed", "its nodes are drained and terminated"
        elif was.types != now.types or was.capacity_type != now.capacity_type:
            applies = "replacement"
            note = "instance or capacity type changed: a new group, and pods move once its nodes are Ready"
        elif (was.min_nodes, was.max_nodes) != (now.min_nodes, now.max_nodes):
            applies, note = "in place", "the node group's scaling bounds change"
        else:
            applies, note = "unchanged", ""
        changes.append(
            NodeGroupChange(
                name=name,
                applies=applies,
                before=_group_text(was) if was else None,
                after=_group_text(now) if now else None,
                min_nodes=_delta(was.min_nodes if was else 0, now.min_nodes if now else 0),
                max_nodes=_delta(was.max_nodes if was else 0, now.max_nodes if now else 0),
                note=note,
            )
        )
    return changes


def _resources(pods: _Pods) -> str:
    return (
        f"{pods.cpu_request_m}m/{pods.cpu_limit_m}m CPU, {pods.memory_request_mib}/{pods.memory_limit_mib} MiB "
        "(request/limit)"
    )


def _deployment(name: Literal["backend", "frontend"], before: _Pods, after: _Pods) -> DeploymentChange:
    """The HPA's bounds change in place; requests or limits change the pod template, which rolls the pods."""
    resources_changed = _resources(before) != _resources(after)
    bounds_changed = (before.min_replicas, before.max_replicas) != (after.min_replicas, after.max_replicas)
    applies: Applies = "rolling" if resources_changed else "in place" if bounds_changed else "unchanged"
    return DeploymentChange(
        name=name,
        applies=applies,
        min_replicas=_delta(before.min_replicas, after.min_replicas),
        max_replicas=_delta(before.max_replicas, after.max_replicas),
        resources_before=_resources(before),
        resources_after=_resources(after),
    )


def _capacity(db: _Database, kind: Literal["read", "write"]) -> str:
    if db.billing_mode == "PROVISIONED":
        scaling = db.read_autoscaling if kind == "read" else db.write_autoscaling
        return f"{scaling.min:,}-{scaling.max:,} units (auto scaling)"
    units = db.read_capacity_units if kind == "read" else db.write_capacity_units
    return f"{units:,} units/s at peak (on demand)"


def _table(before: _Database, after: _Database) -> TableChange:
    texts = {kind: (_capacity(before, kind), _capacity(after, kind)) for kind in ("read", "write")}
    if before.billing_mode != after.billing_mode:
        applies: Applies = "in place"
        note = "billing mode switches in place (DynamoDB limits how often a table may switch)"
    elif any(was != now for was, now in texts.values()):
        applies, note = "in place", "capacity bounds change in place"
    else:
        applies, note = "unchanged", ""
    return TableChange(
        applies=applies,
        mode_before=before.billing_mode,
        mode_after=after.billing_mode,
        read_before=texts["read"][0],
        read_after=texts["read"][1],
        write_before=texts["write"][0],
        write_after=texts["write"][1],
        note=note,
    )


def _cache_text(cache: _Cache) -> str:
    if not cache.enabled:
        return "none"
    return f"{cache.engine} {cache.shards} shard(s) x (1 + {cache.replicas_per_shard} replica(s)) of {cache.node_type}"


def _usable(cache: _Cache) -> float:
    return round(cache.shards * cache.usable_memory_gib_per_node, 3) if cache.enabled else 0.0


def _cache(before: _Cache, after: _Cache, apply_immediately: bool) -> CacheChange:
    """How ElastiCache takes the new layout. Shards (online resharding) and replicas change online, at once; the
    node type too (online vertical scaling) when the change is applied immediately, else in the maintenance window.
    Redis OSS to Valkey is an in-place engine upgrade; Valkey back to Redis OSS is not possible: a new group."""
    notes: list[str] = []
    applies: Applies = "unchanged"
    if before.enabled != after.enabled:
        applies = "added" if after.enabled else "removed"
        notes.append("a new, empty cache" if after.enabled else "the cache and every session in it are deleted")
    elif after.enabled:
        if before.engine != after.engine and after.engine != "valkey":
            applies = "replacement"
            notes.append(f"{before.engine} to {after.engine} is not an in-place upgrade: a new, empty cache")
        else:
            if before.engine != after.engine:
                notes.append(f"engine upgrade {before.engine} to {after.engine}")
            if before.shards != after.shards:
                verb = (
                    "scale-out" if after.shards > before.shards else "scale-in (refused at preview if data won't fit)"
                )
                notes.append(f"online resharding {before.shards} -> {after.shards} shards, a {verb}")
            if before.replicas_per_shard != after.replicas_per_shard:
                notes.append(f"replicas per shard {before.replicas_per_shard} -> {after.replicas_per_shard}, online")
            if before.node_type != after.node_type:
                notes.append(f"node type {before.node_type} -> {after.node_type}, online vertical scaling")
            if notes:
                type_change = before.node_type != after.node_type or before.engine != after.engine
                applies = "maintenance window" if type_change and not apply_immediately else "in place"
    return CacheChange(
        applies=applies,
        before=_cache_text(before),
        after=_cache_text(after),
        usable_gib=_delta(_usable(before), _usable(after)),
        note="; ".join(notes),
    )


def _model(llm: _LLM | None) -> str:
    return f"{llm.provider}:{llm.model}" if llm else "none"


def _llm(before: _LLM | None, after: _LLM | None) -> LLMChange:
    tpm = _delta(before.peak.tokens_per_minute if before else 0, after.peak.tokens_per_minute if after else 0)
    rpm = _delta(before.peak.requests_per_minute if before else 0, after.peak.requests_per_minute if after else 0)
    quota = after.quota.tokens_per_minute if after else None
    notes = []
    if _model(before) != _model(after):
        applies: Applies = "rolling"
        notes.append("the backend's model changes: its pods roll")
    else:
        applies = "unchanged" if (tpm.delta, rpm.delta) == (0, 0) else "in place"
    if after is not None and quota is not None and after.peak.tokens_per_minute > quota:
        notes.append(f"the peak needs {after.peak.tokens_per_minute:,.0f} tokens/min, above the quota of {quota:,}")
    elif after is not None and quota is None and tpm.delta > 0:
        notes.append(f"check {after.quota.name or 'the quota'} holds {after.peak.tokens_per_minute:,.0f} tokens/min")
    return LLMChange(
        applies=applies,
        model_before=_model(before),
        model_after=_model(after),
        tokens_per_minute=tpm,
        requests_per_minute=rpm,
        quota_tokens_per_minute=quota,
        quota_name=after.quota.name if after else None,
        note="; ".join(notes),
    )


def _bill(before: _Cost, after: _Cost) -> BillDelta:
    old = {line.key or line.item: line for line in before.breakdown}
    new = {line.key or line.item: line for line in after.breakdown}
    lines = []
    for key in [*new, *(key for key in old if key not in new)]:
        was, now = old.get(key), new.get(key)
        change = _delta(was.expected_monthly_usd if was else 0.0, now.expected_monthly_usd if now else 0.0)
        if change.delta:
            lines.append(CostLineChange(key=key, item=(now or was).item, expected=change))  # type: ignore[union-attr]
    lines.sort(key=lambda line: -abs(line.expected.delta))
    return BillDelta(
        expected=_delta(before.expected_monthly_usd, after.expected_monthly_usd),
        min=_delta(before.monthly_usd.min, after.monthly_usd.min),
        max=_delta(before.monthly_usd.max, after.monthly_usd.max),
        lines=lines,
    )


def diff_plans(
    before: PlanView,
    after: PlanView,
    before_label: str = "deployed",
    after_label: str = "new",
    apply_immediately: bool = True,
) -> PlanDiff:
    """``apply_immediately``: whether the stack applies cache changes at once (it does) or in the maintenance
    window."""
    groups = _node_groups(before.nodes, after.nodes)
    cache = _cache(before.cache, after.cache, apply_immediately)
    warnings = [
        f"node group {change.name} is replaced ({change.before} -> {change.after}): pods move once the new nodes "
        "are Ready"
        for change in groups
        if change.applies == "replacement"
    ]
    warnings += [f"node group {c.name} is removed ({c.before})" for c in groups if c.applies == "removed"]
    if cache.applies in ("replacement", "removed"):
        warnings.append(f"the cache is {'replaced' if cache.applies == 'replacement' else 'removed'}: {cache.note}")
    return PlanDiff(
        before_label=before_label,
        after_label=after_label,
        concurrent_users=_delta(before.workload.concurrent_users, after.workload.concurrent_users),
        total_users=_delta(before.workload.total_users, after.workload.total_users),
        tier_before=before.tier,
        tier_after=after.tier,
        node_groups=groups,
        deployments=[
            _deployment("backend", before.backend, after.backend),
            _deployment("frontend", before.frontend, after.frontend),
        ],
        table=_table(before.database, after.database),
        cache=cache,
        llm=_llm(before.llm, after.llm),
        bill=_bill(before.cost, after.cost),
        warnings=warnings,
    )
