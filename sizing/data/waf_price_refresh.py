"""The WAF request price of a region from the Price List, for `sizing prices refresh`.

AWS WAF lists its request charge under the service code ``awswaf`` as one usage type per body-inspection size
(``<prefix>-RequestV2-<N>KB``): a web ACL on a load balancer inspects the default size, the smallest listed, whose price
is the $0.60 per million of the pricing page. Web ACLs and rules are plain usage types (``WebACLV2``, ``RuleV2``)
and are read with the others (``price_refresh.SERVICE_USAGES``).
"""

from __future__ import annotations

import re
from typing import Any

from sizing.data.price_refresh import Malformed, on_demand_rate, one_price, products

KEY = "waf_request_million"
REQUEST_USAGETYPE = re.compile(r"(?:[A-Z]{2,4}[0-9]+-|EU-)?RequestV2-([0-9]+)KB")


def waf_request_price(client: Any, region: str) -> dict[str, float]:
    """{waf_request_million: USD per million requests at the smallest inspection size}, or one line saying why not."""
    by_size: dict[int, list[float]] = {}
    for item in products(client, "awswaf", region, {}, "request"):
        usagetype = str(item["product"]["attributes"].get("usagetype", ""))
        match = REQUEST_USAGETYPE.fullmatch(usagetype)
        if match:
            by_size.setdefault(int(match[1]), []).append(on_demand_rate(item, f"{KEY} ({usagetype})") * 1e6)
    if not by_size:
        raise Malformed(f"the Price List API has no RequestV2 price (awswaf) for {region}, needed for {KEY}")
    smallest = min(by_size)
    price = one_price(by_size[smallest], f"{KEY} ({smallest} KB inspected) in {region}")
    assert price is not None  # by_size holds at least one rate per size
    return {KEY: price}
