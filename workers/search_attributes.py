"""Register the contract's search attributes on the configured namespace (idempotent):
`python -m workers.search_attributes`."""

from __future__ import annotations

import asyncio

from infra.temporal import connect, register_search_attributes
from workflows import contract


async def main() -> None:
    client = await connect()
    await register_search_attributes(client, contract.SEARCH_ATTRIBUTES)
    print(f"search attributes registered on namespace {client.namespace}")


if __name__ == "__main__":
    asyncio.run(main())
