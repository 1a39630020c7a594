"""A burst of concurrent calls from another process (so the client's own work does not load the
gateway's event loop): ``python -m tests.burst_client URL TOKEN N`` prints one status per line."""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def main(url: str, token: str, n: int) -> None:
    async def one(s: aiohttp.ClientSession) -> int:
        async with s.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
            await r.read()
            return r.status

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        statuses = await asyncio.gather(*(one(s) for _ in range(n)))
    print("\n".join(map(str, statuses)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
