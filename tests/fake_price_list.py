"""A local stand-in for the AWS Price List Query API, speaking its wire protocol (JSON 1.1 over HTTP POST).

botocore sends ``POST /`` with ``X-Amz-Target: AWSPriceListService.GetProducts`` and a JSON body
{ServiceCode, Filters: [{Type: TERM_MATCH, Field, Value}], FormatVersion, MaxResults, NextToken}; the answer is
{FormatVersion: aws_v1, PriceList: ["<JSON document>", ...], NextToken}. Products match when every TERM_MATCH filter
equals an attribute (or the product family), as the real service does. Pages are deliberately small, so every
multi-product query pages.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET = "AWSPriceListService.GetProducts"


def product(
    service_code: str, family: str, attributes: dict[str, str], usd: float | str, *, sku: str, free_tier: bool = False
) -> dict[str, Any]:
    """A GetProducts document in the real shape: product.attributes and terms.OnDemand...pricePerUnit.USD."""
    dimensions = {
        f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "Hrs",
            "beginRange": "25" if free_tier else "0",
            "endRange": "Inf",
            "appliesTo": [],
            "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
            "description": "on-demand",
            "pricePerUnit": {"USD": usd if isinstance(usd, str) else f"{usd:.10f}"},
        },
    }
    if free_tier:  # a free tier comes first, as DynamoDB and others list it
        dimensions[f"{sku}.JRTCKXETXF.FREE"] = {
            "unit": "Hrs",
            "beginRange": "0",
            "endRange": "25",
            "appliesTo": [],
            "description": "free tier",
            "rateCode": f"{sku}.JRTCKXETXF.FREE",
            "pricePerUnit": {"USD": "0.0000000000"},
        }
    return {
        "product": {"productFamily": family, "attributes": {"servicecode": service_code, **attributes}, "sku": sku},
        "serviceCode": service_code,
        "terms": {
            "OnDemand": {
                f"{sku}.JRTCKXETXF": {
                    "offerTermCode": "JRTCKXETXF",
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "priceDimensions": dimensions,
                    "termAttributes": {},
                }
            },
            # Reserved terms come with every EC2 product; the refresh must read on-demand only.
            "Reserved": {
                f"{sku}.4NA7Y494T4": {
                    "priceDimensions": {
                        f"{sku}.4NA7Y494T4.6YS6EN2CT7": {
                            "unit": "Hrs",
                            "pricePerUnit": {"USD": "0.0010000000"},
                            "beginRange": "0",
                            "endRange": "Inf",
                        }
                    }
                }
            },
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }


def tiered_product(
    service_code: str,
    family: str,
    attributes: dict[str, str],
    tiers: list[tuple[float | str, float | str, float | str]],
    *,
    sku: str,
    applies_to: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A GetProducts document whose on-demand term has one price dimension per volume tier, as data transfer is
    listed: (beginRange, endRange, USD per GB) each, in GB, "Inf" for the open tier; a string goes out as it is."""

    def text(value: float | str, decimals: bool = False) -> str:
        return value if isinstance(value, str) else f"{value:.10f}" if decimals else f"{value:g}"

    dimensions = {}
    for n, (begin, end, usd) in enumerate(tiers):
        rate = f"{sku}.JRTCKXETXF.TIER{n}"
        dimensions[rate] = {
            "unit": "GB",
            "beginRange": text(begin),
            "endRange": text(end),
            "appliesTo": list(applies_to),
            "rateCode": rate,
            "description": f"${text(usd)} per GB - data transfer out, {text(begin)} to {text(end)} GB / month",
            "pricePerUnit": {"USD": text(usd, decimals=True)},
        }
    return {
        "product": {"productFamily": family, "attributes": {"servicecode": service_code, **attributes}, "sku": sku},
        "serviceCode": service_code,
        "terms": {
            "OnDemand": {
                f"{sku}.JRTCKXETXF": {
                    "offerTermCode": "JRTCKXETXF",
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "priceDimensions": dimensions,
                    "termAttributes": {},
                }
            }
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }


@dataclass
class PriceList:
    """The products served, and the behaviour under test."""

    products: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)  # (service code, document)
    page_size: int = 3
    status: int = 200  # anything else: every request fails with it
    requests: list[dict[str, Any]] = field(default_factory=list)

    def add(self, service_code: str, document: dict[str, Any] | str) -> None:
        self.products.append((service_code, document))

    @staticmethod
    def fields(document: dict[str, Any] | str) -> dict[str, str] | None:
        """What TERM_MATCH compares against; None for a malformed entry, served to every query of its service."""
        if isinstance(document, str) or "attributes" not in document["product"]:
            return None
        return {**document["product"]["attributes"], "productFamily": document["product"]["productFamily"]}

    def index(self) -> dict[str, list[tuple[dict[str, str] | None, str]]]:
        """Products by service code, with their fields and JSON text: computed once, not per request."""
        key = len(self.products), id(self.products)
        if getattr(self, "_key", None) != key:
            self._index: dict[str, list[tuple[dict[str, str] | None, str]]] = {}
            for code, doc in self.products:
                self._index.setdefault(code, []).append(
                    (self.fields(doc), doc if isinstance(doc, str) else json.dumps(doc))
                )
            self._key = key
        return self._index

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = [(f["Field"], f["Value"]) for f in body.get("Filters", [])]
        if any(f["Type"] != "TERM_MATCH" for f in body.get("Filters", [])):
            raise ValueError("the stand-in only speaks TERM_MATCH")
        found = [
            text
            for fields, text in self.index().get(body["ServiceCode"], [])
            if fields is None or all(fields.get(name) == value for name, value in wanted)
        ]
        start = int(body.get("NextToken") or 0)
        size = min(self.page_size, int(body.get("MaxResults") or 100))
        page = found[start : start + size]
        answer: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": page}
        if start + size < len(found):
            answer["NextToken"] = str(start + size)
        return answer


def serve(price_list: PriceList) -> tuple[ThreadingHTTPServer, str]:
    """Start the endpoint on 127.0.0.1 in a thread; returns the server (to shut down) and its URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between headers and body

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            price_list.requests.append({"target": self.headers.get("X-Amz-Target"), **body})
            if price_list.status != 200:
                self.reply(price_list.status, {"__type": "InternalErrorException", "message": "the fake is down"})
            elif self.headers.get("X-Amz-Target") != TARGET or "Authorization" not in self.headers:
                self.reply(400, {"__type": "InvalidParameterException", "message": "not a signed GetProducts call"})
            else:
                self.reply(200, price_list.answer(body))

        def reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def region_products(
    price_list: PriceList,
    region: str,
    prefix: str,
    *,
    ec2: dict[str, float],
    cache: dict[str, float],
    services: dict[str, float],
    credits: dict[str, float],
) -> None:
    """One region's products as the real API lists them (usage types carry the region's prefix, e.g. EUC1-)."""
    where = {"regionCode": region, "location": f"Somewhere ({region})", "locationType": "AWS Region"}
    for name, usd in ec2.items():
        price_list.add(
            "AmazonEC2",
            product(
                "AmazonEC2",
                "Compute Instance",
                {
                    **where,
                    "instanceType": name,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                    "usagetype": f"{prefix}-BoxUsage:{name}",
                    "operation": "RunInstances",
                },
                usd,
                sku=f"EC2-{name}",
            ),
        )
        # The same type under Windows and as a reserved-capacity reservation: filtered out by the query.
        price_list.add(
            "AmazonEC2",
            product(
                "AmazonEC2",
                "Compute Instance",
                {
                    **where,
                    "instanceType": name,
                    "operatingSystem": "Windows",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                    "usagetype": f"{prefix}-BoxUsage:{name}",
                },
                usd * 2,
                sku=f"WIN-{name}",
            ),
        )
        price_list.add(
            "AmazonEC2",
            product(
                "AmazonEC2",
                "Compute Instance",
                {
                    **where,
                    "instanceType": name,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "UnusedCapacityReservation",
                    "usagetype": f"{prefix}-UnusedBox:{name}",
                },
                usd,
                sku=f"CR-{name}",
            ),
        )
    for name, usd in cache.items():
        price_list.add(
            "AmazonElastiCache",
            product(
                "AmazonElastiCache",
                "Cache Instance",
                {**where, "instanceType": name, "cacheEngine": "Redis", "usagetype": f"{prefix}-NodeUsage:{name}"},
                usd,
                sku=f"EC-{name}",
            ),
        )
        price_list.add(
            "AmazonElastiCache",
            product(
                "AmazonElastiCache",
                "Cache Instance",
                {**where, "instanceType": name, "cacheEngine": "Valkey", "usagetype": f"{prefix}-NodeUsage:{name}"},
                usd * 0.8,
                sku=f"VK-{name}",
            ),
        )
    for family, usd in credits.items():
        price_list.add(
            "AmazonEC2",
            product(
                "AmazonEC2",
                "CPU Credits",
                {**where, "operatingSystem": "Linux", "usagetype": f"{prefix}-CPUCredits:{family}"},
                usd,
                sku=f"CR-{family}",
            ),
        )
    usage = {
        "eks_cluster_hour": ("AmazonEKS", "Compute", "AmazonEKS-Hours:perCluster", {}),
        "nat_gateway_hour": ("AmazonEC2", "NAT Gateway", "NatGateway-Hours", {}),
        "nat_gateway_gb": ("AmazonEC2", "NAT Gateway", "NatGateway-Bytes", {}),
        "nlb_hour": ("AWSELB", "Load Balancer-Network", "LoadBalancerUsage", {}),
        "nlb_lcu_hour": ("AWSELB", "Load Balancer-Network", "LCUUsage", {}),
        "ebs_gp3_gb_month": ("AmazonEC2", "Storage", "EBS:VolumeUsage.gp3", {"volumeApiName": "gp3"}),
        "public_ipv4_hour": ("AmazonVPC", "VPC Public IPv4 Address", "PublicIPv4:InUseAddress", {}),
        "dynamodb_on_demand_read_million": (
            "AmazonDynamoDB",
            "Amazon DynamoDB PayPerRequest Throughput",
            "ReadRequestUnits",
            {"group": "DDB-ReadUnits"},
        ),
        "dynamodb_on_demand_write_million": (
            "AmazonDynamoDB",
            "Amazon DynamoDB PayPerRequest Throughput",
            "WriteRequestUnits",
            {"group": "DDB-WriteUnits"},
        ),
        "dynamodb_provisioned_rcu_hour": ("AmazonDynamoDB", "Provisioned IOPS", "ReadCapacityUnit-Hrs", {}),
        "dynamodb_provisioned_wcu_hour": ("AmazonDynamoDB", "Provisioned IOPS", "WriteCapacityUnit-Hrs", {}),
        "dynamodb_storage_gb_month": ("AmazonDynamoDB", "Database Storage", "TimedStorage-ByteHrs", {}),
        "dynamodb_pitr_gb_month": ("AmazonDynamoDB", "Database Storage", "TimedPITRStorage-ByteHrs", {}),
        "eks_extended_support_hour": ("AmazonEKS", "Compute", "AmazonEKS-Hours:extendedSupport", {}),
        "kms_key_month": ("awskms", "Encryption Key", "KMS-Keys", {}),
        "cloudwatch_logs_ingest_gb": ("AmazonCloudWatch", "Data Payload", "DataProcessing-Bytes", {}),
        "cloudwatch_logs_storage_gb_month": ("AmazonCloudWatch", "Storage Snapshot", "TimedStorage-ByteHrs", {}),
        "alb_hour": ("AWSELB", "Load Balancer-Application", "LoadBalancerUsage", {}),
        "alb_lcu_hour": ("AWSELB", "Load Balancer-Application", "LCUUsage", {}),
        "waf_web_acl_month": ("awswaf", "Web Application Firewall", "WebACLV2", {}),
        "waf_rule_month": ("awswaf", "Web Application Firewall", "RuleV2", {}),
        # The default (smallest) body inspection size; larger ones follow below, dearer.
        "waf_request_million": ("awswaf", "Web Application Firewall", "RequestV2-16KB", {}),
        "vpc_endpoint_hour": ("AmazonVPC", "VpcEndpoint", "VpcEndpoint-Hours", {}),
        "vpc_endpoint_gb": ("AmazonVPC", "VpcEndpoint", "VpcEndpoint-Bytes", {}),
    }
    # Data transfer products name their regions by fromRegionCode / toRegionCode, with no regionCode.
    transfer = {
        "fromRegionCode": region,
        "toRegionCode": region,
        "fromLocation": where["location"],
        "toLocation": where["location"],
        "fromLocationType": "AWS Region",
        "toLocationType": "AWS Region",
    }
    usage["data_transfer_cross_az_gb"] = (
        "AWSDataTransfer",
        "Data Transfer",
        "DataTransfer-Regional-Bytes",
        {"transferType": "IntraRegion", **transfer},
    )
    for key, usd in services.items():
        code, family, usagetype, extra = usage[key]
        if key == "eks_extended_support_hour":
            # Listed as the surcharge over the standard cluster-hour, billed beside it (the price file holds the sum).
            usd = round(usd - services["eks_cluster_hour"], 10)
        per_unit = usd / 1e6 if key.endswith("_million") else usd
        free = key.startswith("dynamodb_provisioned") or key == "dynamodb_storage_gb_month"
        scope = {} if code == "AWSDataTransfer" else where
        if key == "vpc_endpoint_gb":
            # Listed in volume tiers over the region's month (the first PB, the next 4, the rest): the first is read.
            price_list.add(
                code,
                tiered_product(
                    code,
                    family,
                    {**scope, **extra, "usagetype": f"{prefix}-{usagetype}"},
                    [(0, 1_048_576, usd), (1_048_576, 5_242_880, usd * 0.6), (5_242_880, "Inf", usd * 0.4)],
                    sku=f"S-{key}",
                ),
            )
            continue
        price_list.add(
            code,
            product(
                code,
                family,
                # KMS names the region by its code (eu-central-1-KMS-Keys), not the EC2-style prefix.
                {**scope, **extra, "usagetype": f"{region if code == 'awskms' else prefix}-{usagetype}"},
                per_unit,
                sku=f"S-{key}",
                free_tier=free,
            ),
        )
    # Look-alikes the refresh must not take: Standard-IA tables, trust-store load balancers, PITR of Standard-IA, and
    # Gateway Load Balancer endpoints (the same product family as interface endpoints, dearer by the hour).
    if "vpc_endpoint_hour" in services:
        for usagetype, usd in (("VpcEndpoint-GWLBE-Hours", 0.014), ("VpcEndpoint-GWLBE-Bytes", 0.0035)):
            price_list.add(
                "AmazonVPC",
                product(
                    "AmazonVPC",
                    "VpcEndpoint",
                    {**where, "usagetype": f"{prefix}-{usagetype}"},
                    usd,
                    sku=f"S-{usagetype}",
                ),
            )
    price_list.add(
        "AmazonDynamoDB",
        product(
            "AmazonDynamoDB",
            "Amazon DynamoDB PayPerRequest Throughput",
            {**where, "usagetype": f"{prefix}-IA-ReadRequestUnits"},
            9.9e-6,
            sku="S-ia",
        ),
    )
    price_list.add(
        "AWSELB",
        product(
            "AWSELB", "Load Balancer-Network", {**where, "usagetype": f"{prefix}-TS-LoadBalancerUsage"}, 9.9, sku="S-ts"
        ),
    )
    if "waf_request_million" in services:
        # WAF's larger body inspection sizes cost more per request: the refresh takes the smallest, the default.
        for size, factor in ((48, 3), (32, 2)):
            price_list.add(
                "awswaf",
                product(
                    "awswaf",
                    "Web Application Firewall",
                    {**where, "usagetype": f"{prefix}-RequestV2-{size}KB"},
                    services["waf_request_million"] * factor / 1e6,
                    sku=f"S-waf-{size}",
                ),
            )
    price_list.add(
        "AmazonDynamoDB",
        product(
            "AmazonDynamoDB",
            "Database Storage",
            {**where, "usagetype": f"{prefix}-IA-TimedPITRStorage-ByteHrs"},
            9.9,
            sku="S-ia-pitr",
        ),
    )


# --- internet egress, as the AWSDataTransfer offer lists it -------------------------------------------------------
# One product per source region with a price dimension per volume tier; data transfer products carry fromRegionCode
# and toRegionCode, no regionCode. The free 100 GB a month is a product of its own (Global-DataTransfer-Out-Bytes).


def egress_products(
    price_list: PriceList,
    region: str,
    prefix: str | None,
    tiers: list[tuple[float | str, float | str, float | str]],
    *,
    location: str,
    sku: str | None = None,
) -> str:
    """The region's internet egress product (usage type ``PREFIX-DataTransfer-Out-Bytes``, bare for us-east-1), with
    look-alikes the refresh must not take: data in, out to another region, another outbound usage type. Returns the
    egress product's SKU."""
    sku = sku or f"DTO-{region}"
    usage = f"{prefix}-" if prefix else ""
    source = {"fromLocation": location, "fromLocationType": "AWS Region", "fromRegionCode": region, "operation": ""}
    outbound = {**source, "transferType": "AWS Outbound", "toLocation": "External", "toLocationType": "Other"}
    price_list.add(
        "AWSDataTransfer",
        tiered_product(
            "AWSDataTransfer",
            "Data Transfer",
            {**outbound, "usagetype": f"{usage}DataTransfer-Out-Bytes"},
            tiers,
            sku=sku,
        ),
    )
    price_list.add(
        "AWSDataTransfer",
        tiered_product(
            "AWSDataTransfer",
            "Data Transfer",
            {
                "fromLocation": "External",
                "fromLocationType": "Other",
                "toLocation": location,
                "toLocationType": "AWS Region",
                "toRegionCode": region,
                "transferType": "AWS Inbound",
                "usagetype": f"{usage}DataTransfer-In-Bytes",
                "operation": "",
            },
            [(0, "Inf", 0)],
            sku=f"DTI-{region}",
        ),
    )
    price_list.add(
        "AWSDataTransfer",
        tiered_product(
            "AWSDataTransfer",
            "Data Transfer",
            {
                **source,
                "transferType": "InterRegion Outbound",
                "toLocation": "US West (Oregon)",
                "toLocationType": "AWS Region",
                "toRegionCode": "us-west-2",
                "usagetype": f"{usage}USW2-AWS-Out-Bytes",
            },
            [(0, "Inf", 0.09)],
            sku=f"DTR-{region}",
        ),
    )
    # Invented: the same filters' attributes under another usage type, which the refresh must not read as egress.
    price_list.add(
        "AWSDataTransfer",
        tiered_product(
            "AWSDataTransfer",
            "Data Transfer",
            {**outbound, "usagetype": f"{usage}DataTransfer-Out-ABytes"},
            [(0, "Inf", 9.9)],
            sku=f"DTA-{region}",
        ),
    )
    return sku


def free_egress_product(
    gigabytes: float | str = 100, *, applies_to: tuple[str, ...] = (), usd: float | str = 0, sku: str = "FREE-DTO"
) -> dict[str, Any]:
    """The free allowance, as listed: "$0 for 100GB of data transfer out to the internet, aggregated globally, each
    month", appliesTo naming the regional egress products it covers."""
    return tiered_product(
        "AWSDataTransfer",
        "Data Transfer",
        {
            "fromLocation": "Global",
            "fromLocationType": "Other",
            "toLocation": "External",
            "toLocationType": "Other",
            "transferType": "AWS Outbound",
            "usagetype": "Global-DataTransfer-Out-Bytes",
            "operation": "",
        },
        [(0, gigabytes, usd)],
        sku=sku,
        applies_to=applies_to,
    )


def older_ec2_egress_product(
    location: str, prefix: str, tiers: list[tuple[float | str, float | str, float | str]]
) -> dict[str, Any]:
    """Internet egress as older offers listed it: in AmazonEC2's Data Transfer family, by location name only."""
    return tiered_product(
        "AmazonEC2",
        "Data Transfer",
        {
            "servicecode": "AWSDataTransfer",
            "fromLocation": location,
            "fromLocationType": "AWS Region",
            "toLocation": "External",
            "toLocationType": "Other",
            "transferType": "AWS Outbound",
            "usagetype": f"{prefix}-DataTransfer-Out-Bytes",
            "operation": "",
        },
        tiers,
        sku=f"EC2-DTO-{prefix}",
    )
