"""Which way the model's bytes leave the VPC, by hand: through NAT, or through the Bedrock interface endpoint.

Derived from tests/conftest.py's prices (NAT $0.05 an hour and $0.01 a GB, the endpoint $0.02 an endpoint-zone-hour
and $0.005 a GB, $0.01 a GB each way between zones) and tests/hand_plans.py's assumptions (3 zones, one shared NAT
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
CROSSING = 2 / 3 * 2 * 0.01  # a GB that lands in another zone 2 times in 3, billed on both sides
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
    # endpoint 0.005 + the same crossing (its DNS name spreads calls over the 3 zonal interfaces) = $0.01833. The $0.04
    # saved a GB pays the $43.80 of hours from 43.80 / 0.04 = 1,095 GB a month at the mean.
    below = route_plan(turns=5, nat_gb=0.045)  # 5 x 217.18668 = 1,085.93 GB at the mean: just below
    above = route_plan(turns=5.1, nat_gb=0.045)  # 1,107.65 GB: just above
    for plan, turns in ((below, 5), (above, 5.1)):
        gigabytes = PEAK_GB_PER_TURN_RATE * turns * 0.1
        route = plan.network.llm_route
        assert route.expected_monthly_gb == pytest.approx(gigabytes, abs=0.01)
        assert route.nat_expected_usd == pytest.approx(gigabytes * (0.045 + CROSSING), abs=0.01)
        assert route.endpoint_expected_usd == pytest.approx(ENDPOINT_HOURS + gigabytes * (0.005 + CROSSING), abs=0.01)
        assert route.endpoint_service == "com.amazonaws.us-east-1.bedrock-runtime"
        assert "it pays from 1,095 GB a month" in route.reason
    assert below.network.llm_route.via == "nat_gateway"
    assert above.network.llm_route.via == "interface_endpoint"

    # Below: the gateway processes the model's bytes with the requests' other 16 KB (50/s x 16 KB x 730 x 3,600 s =
    # 2,102.4 GB at peak), and every GB it processes crosses a zone 2 times in 3.
    nat_gb = 2_102.4 + PEAK_GB_PER_TURN_RATE * 5
    below_lines = lines(below)
    assert "llm_endpoint" not in below_lines
    assert below_lines["nat_gateways"] == money(
        0.05 * H + nat_gb * 0.1 * 0.045, 0.05 * H + nat_gb * 0.1 * 0.045, 0.05 * H + nat_gb * 0.045
    )
    assert below_lines["cross_zone_hops"] == money(nat_gb * 0.1 * CROSSING, nat_gb * 0.1 * CROSSING, nat_gb * CROSSING)

    # Above: the gateway keeps the other 2,102.4 GB; the model's bytes go through the endpoint, crossing as often.
    model_gb = PEAK_GB_PER_TURN_RATE * 5.1
    above_lines = lines(above)
    assert above_lines["llm_endpoint"] == money(
        ENDPOINT_HOURS + model_gb * 0.1 * 0.005,
        ENDPOINT_HOURS + model_gb * 0.1 * 0.005,
        ENDPOINT_HOURS + model_gb * 0.005,
    )
    assert above_lines["nat_gateways"] == money(
        0.05 * H + 210.24 * 0.045, 0.05 * H + 210.24 * 0.045, 0.05 * H + 2_102.4 * 0.045
    )
    crossing = (2_102.4 + model_gb) * CROSSING
    assert above_lines["cross_zone_hops"] == money(crossing * 0.1, crossing * 0.1, crossing)
    labels = {i.key: i.item for i in above.cost.breakdown}
    assert labels["llm_endpoint"] == "Bedrock VPC endpoint (3 zones)"
    assert labels["cross_zone_hops"] == "Cross-zone hops (pods to the shared NAT gateway and to the Bedrock endpoint)"


def test_with_a_gateway_in_every_zone_the_endpoint_never_pays_at_these_prices(route_plan):
    # No shared gateway: a GB through NAT costs $0.01 and crosses no zone; through the endpoint $0.005 + $0.01333.
    plan = route_plan(turns=50, single_nat_gateway_tiers=[])
    route = plan.network.llm_route
    gigabytes = PEAK_GB_PER_TURN_RATE * 50 * 0.1
    assert (plan.network.nat_gateways, route.via) == (3, "nat_gateway")
    assert route.nat_expected_usd == pytest.approx(gigabytes * 0.01, abs=0.01)
    assert route.endpoint_expected_usd == pytest.approx(ENDPOINT_HOURS + gigabytes * (0.005 + CROSSING), abs=0.01)
    assert "it never pays" in route.reason
    assert lines(plan)["cross_zone_hops"] == (0, 0, 0)
    assert {i.key: i.item for i in plan.cost.breakdown}["cross_zone_hops"] == (
        "Cross-zone hops (none: a NAT gateway per zone)"
    )


def test_the_setting_forces_either_way(route_plan):
    forced = route_plan(bedrock_vpc_endpoint=True)  # 217.19 GB: NAT would be cheaper
    assert forced.network.llm_route.via == "interface_endpoint"
    assert forced.network.llm_route.reason.startswith("bedrock_vpc_endpoint: true: ")
    assert lines(forced)["llm_endpoint"][2] == pytest.approx(ENDPOINT_HOURS + PEAK_GB_PER_TURN_RATE * 0.005, abs=0.01)
    kept = route_plan(turns=50, nat_gb=0.045, bedrock_vpc_endpoint=False)  # the endpoint would save $400 a month
    assert kept.network.llm_route.via == "nat_gateway"
    assert kept.network.llm_route.reason.startswith("bedrock_vpc_endpoint: false: ")
    assert "llm_endpoint" not in lines(kept)


def test_other_providers_and_self_hosted_models_have_no_endpoint(route_plan):
    openai = route_plan(turns=50, nat_gb=0.045, llm="openai:gpt-test").network.llm_route
    assert (openai.via, openai.endpoint_service, openai.endpoint_expected_usd) == ("nat_gateway", None, None)
    assert openai.reason == "openai's API is on the internet: through the shared NAT gateway"
    # No model: nothing leaves for one.
    assert route_plan(llm=None).network.llm_route is None
