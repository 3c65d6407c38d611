"""Container images the nodes pull: pinned by digest, or the preview says so.

A tag can move (or be deleted) between two node launches, so two nodes of one Deployment may run different code, and
a scale-out at the peak pulls from the public registry through the NAT gateways' few addresses, where Docker Hub's
anonymous pull limit per address can stall it. A digest fixes the bytes; mirroring to ECR (docs/deploy.md) removes
the limit.
"""

from __future__ import annotations

import re

from config import PROJECT

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def pinned(image: str) -> bool:
    return _DIGEST.search(image) is not None


def unpinned_warnings(images: dict[str, str]) -> list[str]:
    """One line per config key whose image is not pinned by digest."""
    return [
        f"{PROJECT}:{key}: {image} is not pinned by digest; nodes may pull different images as the tag moves: use "
        f"{image.split('@')[0]}@sha256:<digest> (`docker buildx imagetools inspect {image}` prints it)"
        for key, image in images.items()
        if not pinned(image)
    ]
