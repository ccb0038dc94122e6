"""R-CU-2's pure parts: the masked name, the derived token, the settings refused with their
name, the per-client token bucket, the stage in the customer's words."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.status import ClientBuckets, chinese_date, chinese_words, steps_of, view_of
from domain.intake import Language
from domain.notice_models import CustomerTemplate, CustomerWords, NoticeKind, Notification
from infra.config import Settings, new_status_secret, status_secret
from infra.masking import mask_name
from ledger.status_links import CustomerNotice, StatusFacts, token_for
from notices.status_links import with_link

SECRET = b"k" * 32
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_names_keep_their_first_character_only() -> None:
    assert [mask_name(n) for n in ("张伟", "欧阳娜娜", "王", "", " 李秀英 ", "Li Na")] == [
        "张*",
        "欧***",
        "*",
        "",
        "李**",
        "L* **",
    ]


def test_r_cu_2_tokens_are_256_bits_derived_per_case_and_generation() -> None:
    token = token_for(SECRET, "C1", 0)
    assert len(token) == 43 and len(base64.urlsafe_b64decode(token + "=")) == 32
    assert token == token_for(SECRET, "C1", 0)  # idempotent: the relay sends the same again
    others = {token_for(SECRET, "C1", 1), token_for(SECRET, "C2", 0), token_for(b"j" * 32, "C1", 0)}
    assert token not in others and len(others) == 3
    assert token_for(SECRET, "C1", 10) != token_for(SECRET, "C11", 0)  # no ambiguous join


def settings_of(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("URL", "SECRET", "SECRET_FILE"):
        monkeypatch.delenv(f"COMPLAINTS_STATUS_{name}", raising=False)
    monkeypatch.delenv("COMPLAINTS_TIME_ZONE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_status_settings_refused_with_their_name(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_status_secret()
    url, key = "COMPLAINTS_STATUS_URL", "COMPLAINTS_STATUS_SECRET"
    ok = settings_of(monkeypatch, **{url: "https://s.example/status/", key: secret})
    assert ok.status_url == "https://s.example/status" and ok.status_secret == status_secret(secret)
    assert settings_of(monkeypatch).status_secret is None
    with pytest.raises(ValueError, match="no secret is"):
        settings_of(monkeypatch, **{url: "https://s.example/status"})
    with pytest.raises(ValueError, match="COMPLAINTS_STATUS_URL must be an http"):
        settings_of(monkeypatch, **{url: "s.example", key: secret})
    with pytest.raises(ValueError, match="at least 32 bytes"):
        settings_of(monkeypatch, **{key: base64.b64encode(b"short").decode()})
    with pytest.raises(ValueError, match="must be base64"):
        settings_of(monkeypatch, **{key: "not base64 at all!"})
    with pytest.raises(ValueError, match="COMPLAINTS_TIME_ZONE"):
        settings_of(monkeypatch, COMPLAINTS_TIME_ZONE="Mars/Olympus")


def test_a_client_gets_its_burst_then_the_rate() -> None:
    buckets = ClientBuckets(burst=2, per_second=0.5, clients=2)
    assert [buckets.take("a", 0.0), buckets.take("a", 0.0)] == [0.0, 0.0]
    assert buckets.take("a", 0.0) == pytest.approx(2.0)  # one token every 2 s
    assert buckets.take("a", 1.0) == pytest.approx(1.0)  # a refused ask costs nothing
    assert buckets.take("a", 2.0) == 0.0
    assert buckets.take("b", 2.0) == 0.0  # another client has its own bucket
    buckets.take("c", 2.0)  # past `clients` the least recent is forgotten (a full bucket)
    assert [buckets.take("a", 2.0), buckets.take("a", 2.0)] == [0.0, 0.0]


def facts(stage: str, **overrides: object) -> StatusFacts:
    received = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # 2026-12-08 01:30 in Shanghai
    fields: dict[str, object] = {
        "complaint_id": "C1",
        "customer_name": "张伟",
        "branch": "Beijing Haidian",
        "stage": stage,
        "outcome": None,
        "received_at": received,
        "decided_at": None,
        "closed_at": None,
        "decision_due_at": datetime(2026, 12, 24, tzinfo=SHANGHAI),
        "decision_told_at": None,
        "notices": [CustomerNotice(received, "acknowledgement", "投诉已受理 / complaint accepted")],
    }
    return StatusFacts(**(fields | overrides))  # type: ignore[arg-type]


def test_r_cu_2_the_stage_in_plain_chinese_and_dates_in_the_branch_zone() -> None:
    view = view_of(facts("investigate"), SHANGHAI, "")
    assert (view.stage_words, view.customer, view.team.contact) == ("调查处理", "张*", None)
    assert [s.state for s in view.steps] == ["done", "done", "current"] + ["upcoming"] * 4
    assert chinese_date(view.received_on) == "2026年12月8日"  # not the 7th (UTC)
    assert (
        view.decision_by is not None and chinese_date(view.decision_by) == "2026年12月23日"
    )  # R-IN-4: the day before midnight
    assert [e.what for e in view.events] == ["收到您的投诉", "投诉已受理"]

    decided = datetime(2026, 12, 10, 2, tzinfo=UTC)
    closed = view_of(
        facts(
            "closed",
            decided_at=decided,
            decision_told_at=decided,
            closed_at=decided + timedelta(days=1),
        ),
        SHANGHAI,
        "95500",
    )
    assert closed.review_until is not None and chinese_date(closed.review_until) == "2027年1月9日"
    assert "2027年1月9日前申请核查" in closed.summary
    assert [s.state for s in closed.steps][-1] == "current"

    withdrawn = view_of(facts("withdrawn", closed_at=decided), SHANGHAI, "")
    assert [s.words for s in withdrawn.steps] == ["受理", "已撤回"]
    assert withdrawn.decision_by is None and withdrawn.events[-1].what == "投诉已撤回"
    assert [s.stage for s in steps_of("contact")][:2] == ["received", "contact"]


def test_notice_subjects_in_chinese() -> None:
    assert chinese_words("Handling paused / 处理暂停") == "处理暂停"
    assert chinese_words("处理期限延长") == "处理期限延长"
    assert chinese_words("Complaint accepted") is None


def test_r_cu_2_the_link_line_is_in_the_customers_language() -> None:
    """The acknowledgement's link line follows the customer's language (R-CU-1), Chinese
    unless the customer chose English."""

    def acknowledgement(language: Language | None) -> Notification:
        words = None
        if language is not None:
            words = CustomerWords(
                template=CustomerTemplate.ACKNOWLEDGEMENT, language=language, complaint_id="C1"
            )
        return Notification(
            key="complaint-C1:1",
            complaint_id="C1",
            kind=NoticeKind.ACKNOWLEDGEMENT,
            recipient_role="customer",
            recipient="13812345678",
            channels=["sms"],
            subject="s",
            body="b",
            words=words,
        )

    url = "https://service.example/status/t"
    assert (
        with_link(acknowledgement("en"), url).body == f"b\nSee how your complaint is going: {url}"
    )
    assert with_link(acknowledgement("zh"), url).body == f"b\n查看处理进度：{url}"
    assert with_link(acknowledgement(None), url).body == f"b\n查看处理进度：{url}"
