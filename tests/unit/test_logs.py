"""Logs never print a customer's phone number or ID number in clear, wherever they appear."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from infra import logs, masking
from infra.temporal import CORE_LOGGER, core_logging


def test_phone_and_id_numbers_are_masked_anywhere_in_an_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("json")
    structlog.get_logger("t").info(
        "customer called back on 13812345678",
        complaint_id="C123",
        customer={"phone": "+86 13912345678", "id_number": "31010119800101123X"},
        notes=["landline 021-62345678", "due 2026-11-23T10:30:00+08:00"],
        body="身份证 310101198001011234，手机 13700001111",
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    for secret in (
        "13812345678",
        "13912345678",
        "31010119800101123X",
        "62345678",
        "310101198001011234",
        "13700001111",
    ):
        assert secret not in line
    assert event["event"] == "customer called back on 138****5678"
    assert event["customer"]["id_number"] == "310***********123X"  # the last 4 stay
    assert event["complaint_id"] == "C123"  # the complaint id stays readable
    assert "2026-11-23T10:30:00+08:00" in event["notes"][1]  # dates and times stay readable


def test_mask_text_keeps_short_numbers() -> None:
    assert masking.mask_text("3 working days, 8,200 yuan, stage 2 of 5") == (
        "3 working days, 8,200 yuan, stage 2 of 5"
    )


def test_one_rule_masks_every_number_wherever_it_shows() -> None:
    assert masking.mask_number("13812345678") == "138****5678"
    assert masking.mask_number("310101198001011234") == "310***********1234"
    assert masking.mask_number("62345678") == "****5678"  # short: the first digits stay hidden
    assert masking.mask_number("1234567") == "*******"
    # The channels' log lines, the log processor and the API (tests/integration/test_api.py) agree.
    assert masking.mask_recipient("13812345678") == masking.mask_text("13812345678")
    assert masking.mask_recipient("zhang.wei@example.com") == "z***@example.com"


def test_the_sdk_and_the_temporal_core_log_through_the_same_json_and_masking(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The core's warnings are forwarded to `temporalio.core` (not printed as console lines
    on stdout, where a full pipe stalls the core's thread) and rendered like ours."""
    forwarding = core_logging().forwarding
    assert forwarding is not None
    assert forwarding.logger is logging.getLogger(CORE_LOGGER)
    logs.configure("json")
    logging.getLogger(CORE_LOGGER).warning("[TMPRL1104] slow task; customer 13812345678")
    logging.getLogger("temporalio.worker").info("below the threshold: not written")
    captured = capsys.readouterr()
    assert captured.out == ""
    event = json.loads(captured.err.strip().splitlines()[-1])
    assert event["logger"] == CORE_LOGGER
    assert event["level"] == "warning"
    assert event["event"] == "[TMPRL1104] slow task; customer 138****5678"
    assert "timestamp" in event
    assert "below the threshold" not in captured.err
