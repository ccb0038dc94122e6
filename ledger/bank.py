"""The ledger's record of the bank channel and the intake rules (rules 3): the
case's facts on its `complaints` row (first receiver, bank and outlet, amount involved, the
case it repeats, the current policy class), its hand-overs (`transfers`) and its policy
classifications (`policy_classes`).

Written by `ledger.record.write_record` in the record's own transaction, only when the record
carries something of these (`LedgerRecord.bank`, see `domain.projection`), so a case of another
channel pays one extra statement, on its first record. Idempotent as every ledger write: keyed
rows, `ON CONFLICT`, and the version guard of `ledger/record.py`.
"""

from __future__ import annotations

from domain.ledger_records import LedgerRecord
from infra.postgres import Connection
from ledger.rows import columns

BANK = """
WITH facts AS (
    UPDATE complaints SET
        first_receiver = $2, bank = $3, outlet = $4, outlet_person = $5,
        amount_involved = $6, amount_currency = $7, repeat_of = $8, policy_class = $9
    WHERE complaint_id = $1 AND $10::bool AND written_version <= $11::bigint
), transfers AS (
    INSERT INTO transfers (complaint_id, transfer_key, kind, to_whom, requirements, started_by,
        started_at, due_at, completed_by, completed_at, outcome, written_version)
    SELECT $1, *, $11::bigint FROM unnest($12::text[], $13::text[], $14::text[], $15::text[],
                                          $16::text[], $17::timestamptz[], $18::timestamptz[],
                                          $19::text[], $20::timestamptz[], $21::text[])
    ON CONFLICT (complaint_id, transfer_key) DO UPDATE SET
        due_at = EXCLUDED.due_at, completed_by = EXCLUDED.completed_by,
        completed_at = EXCLUDED.completed_at, outcome = EXCLUDED.outcome,
        written_version = EXCLUDED.written_version
    WHERE transfers.written_version <= EXCLUDED.written_version
)
INSERT INTO policy_classes (complaint_id, decided_at, policy_class, signed_personally,
    callback_compliant, mis_selling_proof, basis, decided_by)
SELECT $1, * FROM unnest($22::timestamptz[], $23::text[], $24::bool[], $25::bool[],
                         $26::text[], $27::text[], $28::text[])
ON CONFLICT (complaint_id, decided_at) DO NOTHING
"""


async def write_bank(conn: Connection, record: LedgerRecord) -> None:
    """`record.bank` (not None) in one statement, inside the record's transaction."""
    bank = record.bank
    assert bank is not None
    f = bank.facts
    outlet = f.bank_outlet if f else None
    amount = f.amount_involved if f else None
    handoffs = [
        (
            h.key,
            h.kind,
            h.to,
            h.requirements,
            h.started_by,
            h.started_at,
            h.due_at,
            h.completed_by,
            h.completed_at,
            h.outcome,
        )
        for h in bank.handoffs
    ]
    classes = [
        (
            c.decided_at,
            c.policy_class.value,
            c.signed_personally,
            c.callback_compliant,
            c.mis_selling_proof,
            c.basis,
            c.decided_by,
        )
        for c in bank.classifications
    ]
    await conn.execute(
        BANK,
        record.state.complaint_id,
        f and f.first_receiver,
        outlet and outlet.bank,
        outlet and outlet.outlet,
        outlet and outlet.responsible_person,
        amount and amount.amount,
        amount and amount.currency,
        f and f.repeat_of,
        f and f.policy_class and f.policy_class.value,
        f is not None,
        record.version,
        *columns(handoffs, 10),
        *columns(classes, 7),
    )
