"""Secret rotation without downtime: pods that read a rotated secret roll, and the cache accepts old and new tokens
while they do.

Environment variables read from a Secret are resolved when a container starts, so a changed Secret reaches no
running pod. A digest of the value on the pod template makes Kubernetes roll the Deployment (surge first, nothing
unavailable: workloads.py); the digest is salted with a per-stack random value, so it tells nothing about the secret.

The cache AUTH token follows ElastiCache's two-step rotation (ModifyReplicationGroup's AuthTokenUpdateStrategy,
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html, "Modifying the AUTH token on an existing
cluster"): ROTATE adds the new token beside the old one, so pods still on the old token keep working while the
Deployment rolls; SET then leaves only the new token. ElastiCache holds two tokens at most, so one rotation at a time
(config.py refuses more).
"""

from __future__ import annotations

import hashlib
import hmac

# Pod-template annotations: a change rolls the Deployment.
LLM_API_KEY_ANNOTATION = "chat-infra/llm-api-key-digest"
CACHE_AUTH_ANNOTATION = "chat-infra/cache-auth-digest"
DIGEST_CHARS = 16
SALT_LENGTH = 32


def template_digest(salt: str, value: str) -> str:
    """HMAC-SHA256 of the value keyed by the stack's salt, shortened: changes with the value, reveals nothing of it."""
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()[:DIGEST_CHARS]


def auth_token_resource_name(base: str, generation: int) -> str:
    """Generation 1 keeps the name the token always had (no new token for stacks made before rotation existed)."""
    return base if generation == 1 else f"{base}-{generation}"


def auth_token_update_strategy(generation: int, set_generation: int) -> str | None:
    """None before any rotation (nothing to revoke; SET is refused unless a ROTATE came first), ROTATE while the
    backend moves to the new token, SET once ``cacheAuthTokenSetGeneration`` says it has."""
    if generation == 1:
        return None
    return "SET" if set_generation == generation else "ROTATE"
