"""Who may read and change what: one rule for every route (docs/security.md).

An API key may be limited to branches (`Identity.branches`; None: every branch). Its branches
bound everything it reads and changes, on every route, not only inside a case's workflow:

- a read of a case outside them is 404 with the very body of an unknown case
  (`not_found`): the answer does not confirm that the case exists;
- a change to a case, a branch's closures or policy, or a filing outside them is 403 naming
  the key's branches (`refused`);
- lists, searches, reports and results show only the rows of its branches (`visible`); a
  filter asking for a branch outside them is 403 (`ask_for`);
- a change for every branch at once (a nationwide policy) needs a key with no branch limit.

The roles a route needs are checked first (`api.auth.require`); this is the second door.
A case's branch comes from the ledger, or from its workflow while the ledger has no row yet
(the moment after filing).
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from fastapi import HTTPException
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.auth import Identity
from ledger import views
from workflows import contract

EVERY_BRANCH = "*"  # a policy version's scope for every branch


def covers(identity: Identity, branch: str | None) -> bool:
    """Whether the key may see and act for `branch` (a row without a branch: unscoped keys)."""
    if identity.branches is None:
        return True
    return branch is not None and branch in identity.branches


def visible(identity: Identity) -> list[str] | None:
    """The branches whose rows a list may show (sorted); None: every branch."""
    return None if identity.branches is None else sorted(identity.branches)


def not_found(complaint_id: str) -> HTTPException:
    """An unknown case, and a case outside the key's branches on a read: the same answer."""
    return HTTPException(404, f"no complaint {complaint_id}")


def refused(identity: Identity, what: str) -> HTTPException:
    """A change outside the key's branches."""
    mine = ", ".join(sorted(identity.branches or ())) or "no branch"
    return HTTPException(
        403, f"the API key {identity.name!r} acts for {mine} only: {what} is outside them"
    )


def read(identity: Identity, branch: str | None, complaint_id: str) -> None:
    """A read of a case of `branch`: 404 (as unknown) outside the key's branches."""
    if not covers(identity, branch):
        raise not_found(complaint_id)


def change(identity: Identity, branch: str | None, what: str) -> None:
    """A change for `branch` (`EVERY_BRANCH`: every branch): 403 outside the key's branches."""
    if branch == EVERY_BRANCH:
        if identity.branches is not None:
            raise refused(identity, f"{what} for every branch (it needs a key for every branch)")
        return
    if not covers(identity, branch):
        raise refused(identity, f"{what} for {branch}")


def ask_for(identity: Identity, branches: Iterable[str], what: str) -> None:
    """A filter naming branches: 403 when one of them is outside the key's branches."""
    outside = sorted(b for b in branches if not covers(identity, b))
    if outside:
        raise refused(identity, f"{what} of {', '.join(outside)}")


async def case_branch(client: Client, pool: asyncpg.Pool, complaint_id: str) -> str | None:
    """The case's branch: the ledger's, else its workflow's (just filed); None: no such case."""
    branch = await views.branch(pool, complaint_id)
    if branch is not None:
        return branch
    try:
        return (await contract.state(client, complaint_id)).branch
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise


async def case_to_read(
    client: Client, pool: asyncpg.Pool, identity: Identity, complaint_id: str
) -> str:
    """The branch of a case the key may read; 404 if unknown or outside its branches."""
    branch = await case_branch(client, pool, complaint_id)
    if branch is None:
        raise not_found(complaint_id)
    read(identity, branch, complaint_id)
    return branch


async def case_to_change(
    client: Client, pool: asyncpg.Pool, identity: Identity, complaint_id: str
) -> str:
    """The branch of a case the key may change; 404 if unknown, 403 outside its branches."""
    branch = await case_branch(client, pool, complaint_id)
    if branch is None:
        raise not_found(complaint_id)
    change(identity, branch, f"complaint {complaint_id}")
    return branch


async def cases_outside(
    client: Client, pool: asyncpg.Pool, identity: Identity, complaint_ids: Iterable[str]
) -> list[str]:
    """Which of these cases the key may not read (sorted; unknown ones are not listed)."""
    if identity.branches is None:
        return []
    outside = []
    for cid in sorted(set(complaint_ids)):
        branch = await case_branch(client, pool, cid)
        if branch is not None and not covers(identity, branch):
            outside.append(cid)
    return outside
