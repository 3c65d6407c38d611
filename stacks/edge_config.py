"""The public edge's config keys (domainName, hostedZoneId, certificateArn, allowPlainHttp, rateLimitPerIp,
wafManagedRules): validated into ``EdgeSettings``, or one line naming the key that is wrong.

HTTPS is the default: a stack with neither a certificate nor a domain to request one for is refused, unless
``allowPlainHttp: true`` says, explicitly, that this is a dev stack (and then every preview warns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from config import PROJECT, ConfigError, _boolean, _integer, _shown

# What ACM accepts for a load balancer's listener: a certificate of this account in the load balancer's region.
CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}")
HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
# A fully qualified name of 2+ labels, each 1-63 letters, digits or hyphens not at either end (RFC 1035), at most 253.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_NAME = re.compile(rf"(?:{_LABEL}\.)+[a-z]{{2,63}}")
# An absolute URL path as an ALB health check takes it (at most 1,024 characters, RFC 3986 path characters).
READINESS_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}")
# WAF's bounds on a rate-based rule's limit (wafv2 RateBasedStatement.Limit).
RATE_LIMIT_MIN, RATE_LIMIT_MAX = 10, 2_000_000_000

PLAIN_HTTP_WARNING = (
    f"{PROJECT}:allowPlainHttp is true: the app is served over plain HTTP on port 80, so conversations and sessions "
    f"cross the internet in clear text. For a dev stack only; set {PROJECT}:domainName and {PROJECT}:hostedZoneId "
    f"(or {PROJECT}:certificateArn) to serve HTTPS"
)


@dataclass(frozen=True)
class EdgeSettings:
    """Where the app is served: a certificate to use or a domain to request one for, or plain HTTP (dev only)."""

    domain_name: str | None = None
    hosted_zone_id: str | None = None
    certificate_arn: str | None = None
    allow_plain_http: bool = False
    readiness_path: str = "/"

    @property
    def https(self) -> bool:
        return not self.allow_plain_http

    @property
    def requests_certificate(self) -> bool:
        """The stack requests (and validates in the zone) a certificate for domain_name."""
        return self.certificate_arn is None and self.domain_name is not None

    @property
    def alias_record(self) -> bool:
        """The stack points domain_name at the load balancer (an alias record in the zone)."""
        return self.domain_name is not None and self.hosted_zone_id is not None

    def warnings(self) -> list[str]:
        return [PLAIN_HTTP_WARNING] if self.allow_plain_http else []


def _text(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{PROJECT}:{key}: must be text (got {_shown(value)})")
    return value.strip() or None


def edge_settings(raw: dict[str, Any], region: str) -> EdgeSettings:
    domain = _text(raw.get("domainName"), "domainName")
    zone = _text(raw.get("hostedZoneId"), "hostedZoneId")
    certificate = _text(raw.get("certificateArn"), "certificateArn")
    plain = _boolean(raw.get("allowPlainHttp", False), "allowPlainHttp")
    readiness = _text(raw.get("readinessPath", "/"), "readinessPath") or "/"
    if not READINESS_PATH.fullmatch(readiness):
        raise ConfigError(
            f"{PROJECT}:readinessPath: must be a URL path like /healthz, starting with / (got "
            f"{_shown(raw['readinessPath'])})"
        )
    if domain is not None:
        domain = domain.lower().rstrip(".")
        if len(domain) > 253 or not DOMAIN_NAME.fullmatch(domain):
            raise ConfigError(
                f"{PROJECT}:domainName: must be a DNS name like chat.example.com (got {_shown(raw['domainName'])})"
            )
    if zone is not None and not HOSTED_ZONE_ID.fullmatch(zone):
        raise ConfigError(
            f"{PROJECT}:hostedZoneId: must be a Route 53 hosted zone ID like Z0123456789ABCDEFGHIJ "
            f"(got {_shown(raw['hostedZoneId'])})"
        )
    if certificate is not None:
        match = CERTIFICATE_ARN.fullmatch(certificate)
        if match is None:
            raise ConfigError(
                f"{PROJECT}:certificateArn: must be an ACM certificate ARN like "
                f"arn:aws:acm:{region}:123456789012:certificate/<uuid> (got {_shown(raw['certificateArn'])})"
            )
        if match["region"] != region:
            raise ConfigError(
                f"{PROJECT}:certificateArn: the certificate is in {match['region']}, but a load balancer in {region} "
                f"can only use a certificate from its own region; import or request it in {region}"
            )
    if zone is not None and domain is None:
        raise ConfigError(
            f"{PROJECT}:hostedZoneId: set {PROJECT}:domainName too (the name to serve in that zone), or unset it"
        )
    if domain is not None and zone is None and certificate is None:
        raise ConfigError(
            f"{PROJECT}:domainName: a certificate for {domain} is validated through DNS: set {PROJECT}:hostedZoneId "
            f"(the Route 53 zone holding {domain}), or give {PROJECT}:certificateArn"
        )
    if plain and (domain is not None or certificate is not None):
        raise ConfigError(
            f"{PROJECT}:allowPlainHttp: true serves plain HTTP, but a domain or certificate is set for HTTPS; "
            f"remove {PROJECT}:allowPlainHttp"
        )
    if not plain and domain is None and certificate is None:
        raise ConfigError(
            f"{PROJECT}:domainName: the app is public and served over HTTPS, which needs a certificate: set "
            f"{PROJECT}:domainName and {PROJECT}:hostedZoneId (the stack requests and validates one), or "
            f"{PROJECT}:certificateArn (an ACM certificate you have); for a dev stack only, "
            f"`pulumi config set {PROJECT}:allowPlainHttp true` serves plain HTTP"
        )
    return EdgeSettings(domain, zone, certificate, plain, readiness)


def edge_assumptions(raw: dict[str, Any]) -> dict[str, Any]:
    """The keys the plan prices and reports (assumptions.edge): the WAF limit override and the managed rules."""
    out: dict[str, Any] = {
        "waf_managed_rules": _boolean(raw.get("wafManagedRules", False), "wafManagedRules"),
    }
    limit = raw.get("rateLimitPerIp", 0)
    if limit not in (0, "0", "", None):
        out["rate_limit_per_ip"] = _integer(limit, "rateLimitPerIp", RATE_LIMIT_MIN, RATE_LIMIT_MAX)
    return out
