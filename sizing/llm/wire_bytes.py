"""The bytes one chat turn puts on the wire between the backend and the provider, from its tokens.

A token of English text is about 4 characters (OpenAI's rule of thumb, help.openai.com "What are tokens"), 4 bytes
in UTF-8. The request carries the whole prompt once, in a JSON body behind HTTP headers (for Bedrock a SigV4
signature). The answer streams back one chunk per token, each wrapped in the provider's framing; the framing, not
the text, is most of the bytes. Each provider's per-chunk overhead below is measured from one literal chunk of its
documented stream format, the token's text left out; TLS record overhead (about 29 bytes a record with AES-GCM) is
added per chunk since each chunk is flushed on its own.
"""

from __future__ import annotations

from typing import NamedTuple

BYTES_PER_TOKEN = 4
TLS_RECORD_BYTES = 29  # 5-byte header + 8-byte explicit nonce + 16-byte GCM tag (TLS 1.2); TLS 1.3: 22
# Request line and headers of a JSON POST (host, content-type, content-length, user-agent, auth) and the JSON keys
# around the messages; a SigV4 Authorization header alone is about 250 bytes.
REQUEST_ENVELOPE_BYTES = 1_000
RESPONSE_HEADERS_BYTES = 500  # status line and headers of the streamed answer


def _overhead(example: str, text: str) -> int:
    return len(example.encode("utf-8")) - len(text.encode("utf-8"))


# OpenAI Chat Completions stream (server-sent events): one chat.completion.chunk per delta.
_OPENAI = (
    'data: {"id":"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012","object":"chat.completion.chunk","created":1733572800,'
    '"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0123456789",'
    '"choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}\n\n'
)
# Anthropic Messages stream (server-sent events): one content_block_delta event per delta.
_ANTHROPIC = (
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    '"delta":{"type":"text_delta","text":" token"}}\n\n'
)
# Bedrock ConverseStream: the AWS event-stream binary framing, per message: 12-byte prelude (total length, headers
# length, prelude CRC), the headers :event-type = contentBlockDelta, :content-type = application/json and
# :message-type = event (each: 1-byte name length, name, 1-byte type, 2-byte value length, value), the JSON payload
# (with the "p" field Bedrock pads each event with, of varying length; 20 characters assumed) and a 4-byte CRC.
_BEDROCK_HEADERS = sum(
    1 + len(name) + 1 + 2 + len(value)
    for name, value in (
        (":event-type", "contentBlockDelta"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    )
)
_BEDROCK_PAYLOAD = '{"contentBlockIndex":0,"delta":{"text":" token"},"p":"abcdefghijklmnopqrst"}'


class Framing(NamedTuple):
    chunk_overhead_bytes: int
    source: str


FRAMINGS: dict[str, Framing] = {
    "openai": Framing(_overhead(_OPENAI, " token"), "OpenAI chat.completion.chunk server-sent event"),
    "anthropic": Framing(_overhead(_ANTHROPIC, " token"), "Anthropic content_block_delta server-sent event"),
    "aws": Framing(
        12 + _BEDROCK_HEADERS + _overhead(_BEDROCK_PAYLOAD, " token") + 4,
        "Bedrock ConverseStream contentBlockDelta event (AWS event-stream framing)",
    ),
}
# A provider whose format is not modelled: the largest of the three.
DEFAULT_FRAMING = Framing(max(f.chunk_overhead_bytes for f in FRAMINGS.values()), "the largest modelled framing")


class TurnBytes(NamedTuple):
    request: float
    response: float
    framing: Framing


def turn_bytes(provider: str, input_tokens: float, output_tokens: float) -> TurnBytes:
    """One turn's request and streamed response, one token a chunk."""
    framing = FRAMINGS.get(provider, DEFAULT_FRAMING)
    per_chunk = BYTES_PER_TOKEN + framing.chunk_overhead_bytes + TLS_RECORD_BYTES
    return TurnBytes(
        request=REQUEST_ENVELOPE_BYTES + input_tokens * BYTES_PER_TOKEN,
        response=RESPONSE_HEADERS_BYTES + output_tokens * per_chunk,
        framing=framing,
    )
