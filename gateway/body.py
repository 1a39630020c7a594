"""Reading a body within a cap: the one capped reader of the gateway.

Request bodies without a ``Content-Length`` (``adapters/http.py``), tool outputs
(``inspect/output.py``), JWKS documents (``identity.py``), the text of an upstream's
error answer: each is read through ``read_capped``. Over the cap it refuses
(``TooLarge``) after at most ``limit`` bytes and one more chunk, never buffering the
rest; it returns a prefix instead only when the caller asks for one
(``truncate=True``), to quote the start of an answer it would not use whole.
"""

from __future__ import annotations

from typing import Any


class TooLarge(Exception):
    """The body is longer than ``limit`` bytes; the caller turns this into its own refusal."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


async def read_capped(stream: Any, limit: int, *, truncate: bool = False) -> bytes:
    """The whole of ``stream`` (anything with aiohttp's ``iter_any``) if it is at most ``limit`` bytes.

    Longer: raises ``TooLarge``; with ``truncate=True``, returns its first ``limit``
    bytes and stops reading.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream.iter_any():
        size += len(chunk)
        if size > limit:
            if not truncate:
                raise TooLarge(limit)
            chunks.append(chunk[: len(chunk) - (size - limit)])
            break
        chunks.append(chunk)
    return b"".join(chunks)
