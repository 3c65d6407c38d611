"""A local stand-in for two more AWS APIs the refresh reads, each in its own wire protocol, on one port.

EC2 speaks the query protocol: ``POST /`` with a form-encoded body (``Action=DescribeSpotPriceHistory``,
``Version``, ``InstanceType.1..N``, ``ProductDescription.1``, ``StartTime``, ``EndTime``, ``MaxResults``,
``NextToken``) answered in XML: ``<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item><instanceType>...``
``<spotPrice>...``, errors as ``<Response><Errors><Error><Code>``. The Savings Plans API is REST-JSON:
``POST /DescribeSavingsPlansOfferingRates`` with a JSON body, answered ``{searchResults, nextToken}``. Point botocore
here with ``AWS_ENDPOINT_URL_EC2`` and ``AWS_ENDPOINT_URL_SAVINGSPLANS``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
YEAR = 31_536_000


@dataclass
class Ec2:
    """The Spot price history and Savings Plan rates served, and the behaviour under test."""

    # (instance type, availability zone, price as text, product description)
    spot: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Savings Plans API searchResults entries, as the API returns them
    rates: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 4
    ec2_status: int = 200  # anything else: every EC2 request fails with it
    savings_status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def spot_page(self, form: dict[str, list[str]]) -> tuple[list[tuple[str, str, str, str]], str | None]:
        types = {value for key, values in form.items() if key.startswith("InstanceType.") for value in values}
        products = {value for key, values in form.items() if key.startswith("ProductDescription.") for value in values}
        found = [row for row in self.spot if row[0] in types and (not products or row[3] in products)]
        start = int(form.get("NextToken", ["0"])[0])
        size = min(self.page_size, int(form.get("MaxResults", ["1000"])[0]))
        end = start + size
        return found[start:end], (str(end) if end < len(found) else None)

    def rates_page(self, body: dict[str, Any]) -> dict[str, Any]:
        start = int(body.get("nextToken") or 0)
        size = min(self.page_size, int(body.get("maxResults") or 1000))
        answer: dict[str, Any] = {"searchResults": self.rates[start : start + size]}
        if start + size < len(self.rates):
            answer["nextToken"] = str(start + size)
        return answer


def spot_rows(history: dict[str, list[float]], zones: list[str]) -> list[tuple[str, str, str, str]]:
    """Linux/UNIX history, one price per zone in turn, and a Windows row per type the refresh must not take."""
    rows = []
    for name, prices in history.items():
        rows += [(name, zones[i % len(zones)], f"{price:.6f}", "Linux/UNIX") for i, price in enumerate(prices)]
        rows.append((name, zones[0], f"{max(prices) * 3:.6f}", "Windows"))
    return rows


def rate(name: str, region: str, prefix: str, usd: float, years: int = 1, **properties: str) -> dict[str, Any]:
    """One searchResults entry of DescribeSavingsPlansOfferingRates, in its documented shape."""
    described = {
        "region": region,
        "instanceType": name,
        "instanceFamily": name.split(".")[0],
        "productDescription": "Linux/UNIX",
        "tenancy": "shared",
        **properties,
    }
    return {
        "savingsPlanOffering": {
            "offeringId": f"00000000-0000-0000-0000-00000000000{years}",
            "paymentOption": "No Upfront",
            "planType": "Compute",
            "durationSeconds": years * YEAR,
            "currency": "USD",
            "planDescription": f"{years} year No Upfront Compute Savings Plan",
        },
        "rate": f"{usd:.6f}",
        "unit": "Hrs",
        "productType": "EC2",
        "serviceCode": "AmazonEC2",
        "usageType": f"{prefix}-BoxUsage:{name}",
        "operation": "RunInstances",
        "properties": [{"name": key, "value": value} for key, value in described.items()],
    }


def _spot_xml(rows: list[tuple[str, str, str, str]], token: str | None) -> str:
    items = "".join(
        f"<item><instanceType>{escape(t)}</instanceType><productDescription>{escape(p)}</productDescription>"
        f"<spotPrice>{escape(price)}</spotPrice><timestamp>2026-11-29T10:00:00.000Z</timestamp>"
        f"<availabilityZone>{escape(zone)}</availabilityZone></item>"
        for t, zone, price, p in rows
    )
    next_token = f"<nextToken>{token}</nextToken>" if token else "<nextToken/>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><DescribeSpotPriceHistoryResponse xmlns="{NAMESPACE}">'
        f"<requestId>fake</requestId><spotPriceHistorySet>{items}</spotPriceHistorySet>{next_token}"
        "</DescribeSpotPriceHistoryResponse>"
    )


def serve(ec2: Ec2) -> ThreadingHTTPServer:
    """Start the stand-in on 127.0.0.1 in a thread and set ``ec2.url``; returns the server (to shut down)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"] or 0))
            if self.path.rstrip("/") == "/DescribeSavingsPlansOfferingRates":
                body = json.loads(raw or b"{}")
                ec2.requests.append({"api": "savingsplans", **body})
                if ec2.savings_status != 200:
                    self.reply(
                        ec2.savings_status,
                        "application/json",
                        json.dumps({"message": "the fake is down"}),
                        {"x-amzn-ErrorType": "InternalServerException"},
                    )
                else:
                    self.reply(200, "application/json", json.dumps(ec2.rates_page(body)))
                return
            form = parse_qs(raw.decode())
            ec2.requests.append({"api": "ec2", **{k: v if len(v) > 1 else v[0] for k, v in form.items()}})
            signed = "Authorization" in self.headers
            if ec2.ec2_status != 200 or form.get("Action") != ["DescribeSpotPriceHistory"] or not signed:
                code = "Unavailable" if ec2.ec2_status != 200 else "InvalidAction"
                self.reply(
                    ec2.ec2_status if ec2.ec2_status != 200 else 400,
                    "text/xml",
                    f"<Response><Errors><Error><Code>{code}</Code><Message>the fake says no</Message></Error>"
                    "</Errors><RequestID>fake</RequestID></Response>",
                )
                return
            rows, token = ec2.spot_page(form)
            self.reply(200, "text/xml", _spot_xml(rows, token))

        def reply(self, status: int, kind: str, text: str, headers: dict[str, str] | None = None) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ec2.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
