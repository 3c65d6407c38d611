"""Which way the model's bytes leave the VPC, by hand: through NAT, or through the Bedrock interface endpoint.

Derived from tests/conftest.py's prices (NAT $0.05 an hour and $0.01 a GB, the endpoint $0.02 an endpoint-zone-hour
and $0.005 a GB, $0.01 a GB each way between zones, which PrivateLink does not bill for the endpoint's traffic) and tests/hand_plans.py's assumptions (3 zones, one shared NAT
gateway up to the medium tier, a mean load of 0.1 of the peak, a 730-hour month). A turn of the flat model sends
1,000 + 1,155 x 4 = 5,620 bytes and streams back Bedrock's 500 + 211 x (4 + 173 + 29) = 43,966: 49,586 bytes, so 1,000
users at one turn a minute move 1,000 x 60 x 730 x 49,586 / 1e9 = 2,171.8668 GB in a month at peak, 217.18668 GB at
the mean.
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

H = 730
PEAK_GB_PER_TURN_RATE = 1_000 * 60 * H * 49_586 / 1e9  # 1,000 users at one turn a minute, all month at peak
CROSSING = 2 / 3 * 2 * 0.01  # a GB that reaches the shared gateway from another zone 2 times in 3, both sides billed
ENDPOINT_HOURS = 3 * 0.02 * H  # $43.80: an interface in each of the 3 zones


@pytest.fixture
def route_plan(fake_catalog, fake_prices):
    def make(users=1_000, turns=1.0, nat_gb=0.01, llm="aws:test-model", **overrides):
        prices = fake_prices.model_copy(update={"services": {**fake_prices.services, "nat_gateway_gb": nat_gb}})
        return build(
            fake_catalog,
            prices,
            users,
            users * 10,
            {"llm": {"turns_per_user_per_minute": turns}, **overrides},
            token_prices=flat_token_prices(),
            llm=llm,
        )

    return make


def lines(plan) -> dict[str, tuple[float, float, float]]:
    return {i.key: (i.monthly_usd.min, i.expected_monthly_usd, i.monthly_usd.max) for i in plan.cost.breakdown}


def money(*values: float) -> tuple:
    return tuple(pytest.approx(v, abs=0.01) for v in values)


def test_the_endpoint_wins_above_its_break_even_and_nat_below(route_plan):
    # At NAT's $0.045 a GB, through the one shared gateway a GB costs 0.045 + 2/3 x 2 x 0.01 = $0.05833; through the
    # endpoint $0.005 (its DNS name spreads calls over the 3 zonal interfaces, but PrivateLink bills no crossing). The
    # $0.05333 saved a GB pays the $43.80 of hours from 43.80 / 0.053333 = 821.25 GB a month at the mean: 3.78 turns a
    # user a minute.
    below = route_plan(turns=3.7, nat_gb=0.045)  # 3.7 x 217.18668 = 803.59 GB at the mean: just below
    above = route_plan(turns=3.9, nat_gb=0.045)  # 847.03 GB: just above
    for plan, turns in ((below, 3.7), (above, 3.9)):
        gigabytes = PEAK_GB_PER_TURN_RATE * turns * 0.1
        route = plan.network.llm_route
        assert route.expected_monthly_gb == pytest.approx(gigabytes, abs=0.01)
        assert route.nat_expected_usd == pytest.approx(gigabytes * (0.045 + CROSSING), abs=0.01)
        assert route.endpoint_expected_usd == pytest.approx(ENDPOINT_HOURS + gigabytes * 0.005, abs=0.01)
        assert route.break_even_gb == pytest.approx(821.25, abs=0.01)
        assert route.endpoint_service == "com.amazonaws.us-east-1.bedrock-runtime"
        assert "it pays from 821 GB a month" in route.reason
    assert below.network.llm_route.via == "nat_gateway"
    assert above.network.llm_route.via == "interface_endpoint"

    # Below: the gateway processes the model's bytes with the requests' other 16 KB (50/s x 16 KB x 730 x 3,600 s =
    # 2,102.4 GB at peak), and every GB it processes crosses a zone 2 times in 3.
    nat_gb = 2_102.4 + PEAK_GB_PER_TURN_RATE * 3.7
    below_lines = lines(below)
    assert "llm_endpoint" not in below_lines
    assert below_lines["nat_gateways"] == money(
        0.05 * H + nat_gb * 0.1 * 0.045, 0.05 * H + nat_gb * 0.1 * 0.045, 0.05 * H + nat_gb * 0.045
    )
    assert below_lines["cross_zone_hops"] == money(nat_gb * 0.1 * CROSSING, nat_gb * 0.1 * CROSSING, nat_gb * CROSSING)

    # Above: the gateway keeps the other 2,102.4 GB, and only they cross to it; the model's bytes go through the
    # endpoint.
    model_gb = PEAK_GB_PER_TURN_RATE * 3.9
    above_lines = lines(above)
    assert above_lines["llm_endpoint"] == money(
        ENDPOINT_HOURS + model_gb * 0.1 * 0.005,
        ENDPOINT_HOURS + model_gb * 0.1 * 0.005,
        ENDPOINT_HOURS + model_gb * 0.005,
    )
    assert above_lines["nat_gateways"] == money(
        0.05 * H + 210.24 * 0.045, 0.05 * H + 210.24 * 0.045, 0.05 * H + 2_102.4 * 0.045
    )
    assert above_lines["cross_zone_hops"] == money(210.24 * CROSSING, 210.24 * CROSSING, 2_102.4 * CROSSING)
    labels = {i.key: i.item for i in above.cost.breakdown}
    assert labels["llm_endpoint"] == "Bedrock VPC endpoint (3 zones)"
    assert labels["cross_zone_hops"] == "Cross-zone hops (pods to the shared NAT gateway)"


def test_with_a_gateway_in_every_zone_the_endpoint_pays_later_or_never(route_plan):
    # No shared gateway: a GB through NAT costs $0.01 here and crosses no zone; through the endpoint $0.005. The
    # $0.005 saved pays the $43.80 from 8,760 GB a month at the mean; 50 turns a minute move 10,859 GB.
    plan = route_plan(turns=50, single_nat_gateway_tiers=[])
    route = plan.network.llm_route
    gigabytes = PEAK_GB_PER_TURN_RATE * 50 * 0.1
    assert (plan.network.nat_gateways, route.via) == (3, "interface_endpoint")
    assert route.nat_expected_usd == pytest.approx(gigabytes * 0.01, abs=0.01)
    assert route.endpoint_expected_usd == pytest.approx(ENDPOINT_HOURS + gigabytes * 0.005, abs=0.01)
    assert route.break_even_gb == pytest.approx(8_760, abs=0.01)
    assert lines(plan)["cross_zone_hops"] == (0, 0, 0)
    assert {i.key: i.item for i in plan.cost.breakdown}["cross_zone_hops"] == (
        "Cross-zone hops (none: a NAT gateway per zone, nothing else crosses)"
    )
    # At $0.004 a GB through NAT, below the endpoint's $0.005, it never pays.
    never = route_plan(turns=50, nat_gb=0.004, single_nat_gateway_tiers=[]).network.llm_route
    assert (never.via, never.break_even_gb) == ("nat_gateway", None)
    assert "it never pays" in never.reason


def test_the_setting_forces_either_way(route_plan):
    forced = route_plan(bedrock_vpc_endpoint=True)  # 217.19 GB at $0.01 and crossings: NAT would be cheaper
    assert forced.network.llm_route.via == "interface_endpoint"
    assert forced.network.llm_route.reason.startswith("bedrock_vpc_endpoint: true: ")
    assert lines(forced)["llm_endpoint"][2] == pytest.approx(ENDPOINT_HOURS + PEAK_GB_PER_TURN_RATE * 0.005, abs=0.01)
    kept = route_plan(turns=50, nat_gb=0.045, bedrock_vpc_endpoint=False)  # the endpoint would save $535 a month
    assert kept.network.llm_route.via == "nat_gateway"
    assert kept.network.llm_route.reason.startswith("bedrock_vpc_endpoint: false: ")
    assert "llm_endpoint" not in lines(kept)
    # Forcing it for a model outside Bedrock changes nothing, and says so.
    openai = route_plan(llm="openai:gpt-test", bedrock_vpc_endpoint=True)
    assert openai.network.llm_route.via == "nat_gateway"
    assert "bedrock_vpc_endpoint: true applies to a Bedrock model only; this plan's model is not on Bedrock" in (
        openai.warnings
    )


def test_other_providers_and_self_hosted_models_have_no_endpoint(route_plan):
    openai = route_plan(turns=50, nat_gb=0.045, llm="openai:gpt-test").network.llm_route
    assert (openai.via, openai.endpoint_service, openai.endpoint_expected_usd) == ("nat_gateway", None, None)
    assert openai.reason == "openai's API is on the internet: through the shared NAT gateway"
    # No model: nothing leaves for one.
    assert route_plan(llm=None).network.llm_route is None


def test_a_self_hosted_models_turns_stay_in_the_vpc_and_cross_zones_like_any_service(route_plan):
    # vLLM speaks OpenAI's API: 5,620 bytes up and 500 + 211 x (4 + 288 + 29) = 68,231 down a turn, 43,800,000 turns
    # a month at peak: 3,234.67 GB between the backend and the vLLM pods. None of it reaches the NAT gateway (which
    # keeps the requests' other 2,102.4 GB); through the vLLM Service it reaches a pod in another zone 2 times in 3.
    plan = route_plan(llm="vllm:meta-llama/Llama-3.1-8B-Instruct")
    assert plan.network.llm_route is None
    model_gb = 43_800_000 * (5_620 + 500 + 211 * (4 + 288 + 29)) / 1e9
    assert plan.llm.wire.monthly_gb.max == pytest.approx(model_gb, abs=0.01)
    got = lines(plan)
    assert got["nat_gateways"] == money(0.05 * H + 210.24 * 0.01, 0.05 * H + 210.24 * 0.01, 0.05 * H + 2_102.4 * 0.01)
    crossing = (2_102.4 + model_gb) * CROSSING
    assert got["cross_zone_hops"] == money(crossing * 0.1, crossing * 0.1, crossing)
    assert {i.key: i.item for i in plan.cost.breakdown}["cross_zone_hops"] == (
        "Cross-zone hops (pods to the shared NAT gateway and the backend to the vLLM pods)"
    )
