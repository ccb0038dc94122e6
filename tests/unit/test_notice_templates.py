"""The customer notices' templates (notices/templates.py): the shipped defaults, the version a
notice is worded with, and what a template may not do."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.intake import Language
from domain.intake_rules import promises_in
from domain.notice_models import CustomerTemplate, CustomerWords, NoticeKind, Notification
from notices.default_templates import DEFAULTS
from notices.templates import (
    FACTS,
    LANGUAGES,
    TemplateProblem,
    TemplateVersion,
    Wording,
    check,
    render,
    samples,
)

SAVED_AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def notice(words: CustomerWords) -> Notification:
    return Notification(
        key="complaint-T1:n1",
        complaint_id="T1",
        kind=NoticeKind.ACKNOWLEDGEMENT,
        recipient_role="customer",
        recipient="13812345678",
        channels=["sms"],
        subject="complaint accepted",
        body="the case's own record",
        words=words,
    )


def saved(version: int, body: str, at: datetime, language: Language = "zh") -> TemplateVersion:
    return TemplateVersion(
        CustomerTemplate.ACKNOWLEDGEMENT,
        language,
        version,
        "投诉已受理",
        body,
        "why",
        "admin.chen",
        at,
    )


ACK = CustomerWords(
    template=CustomerTemplate.ACKNOWLEDGEMENT,
    complaint_id="T1",
    handler="li.na",
    decision_by=date(2026, 12, 22),
)


def test_every_template_ships_in_both_languages_and_passes_its_own_check() -> None:
    """R-CU-1: a default for each customer notice in Chinese and English; the hand-over and
    referral words promise nothing (R-CR-3, R-CR-4)."""
    assert set(DEFAULTS) == {(t, lang) for t in CustomerTemplate for lang in LANGUAGES}
    assert set(FACTS) == set(CustomerTemplate)
    for (template, language), (subject, body) in DEFAULTS.items():
        check(template, subject, body)
        for sample in samples(template):
            words = CustomerWords(template=template, language=language, **sample)
            text = " ".join(render(Wording().in_force(template, language, None), words))
            assert "None" not in text, (template, language, text)
            assert promises_in(text) == [], (template, language, text)


def test_r_cu_1_a_notice_is_worded_with_the_version_in_force_when_it_was_queued() -> None:
    """A notice queued before a save keeps the words of its time (a retry words it as the
    first attempt did); the next one takes the new version; none before: the default."""
    wording = Wording(
        [
            saved(2, "第二版{{ complaint_id }}", SAVED_AT + timedelta(hours=1)),
            saved(1, "第一版{{ complaint_id }}", SAVED_AT),
        ]
    )
    before = wording.word(notice(ACK), SAVED_AT - timedelta(minutes=1))
    assert before.body.startswith("您的投诉（编号T1）已受理")
    assert wording.word(notice(ACK), SAVED_AT).body == "第一版T1"
    assert wording.word(notice(ACK), SAVED_AT + timedelta(hours=2)).body == "第二版T1"
    english = ACK.model_copy(update={"language": "en"})
    assert wording.word(notice(english), SAVED_AT).subject == "Complaint accepted"


def test_a_notice_without_facts_keeps_its_own_words() -> None:
    """Staff notices, and customer notices queued before templates, go out as recorded."""
    plain = notice(ACK).model_copy(update={"words": None})
    assert Wording().word(plain, SAVED_AT) == plain


def test_a_template_that_fails_at_send_time_falls_back_to_the_default() -> None:
    """Never failing at send time: a version that cannot render (checked when saved, so only
    a row written around the API) gives way to the default."""
    wording = Wording([saved(1, "{{ complaint_id.nope }}", SAVED_AT)])
    assert wording.word(notice(ACK), SAVED_AT).body.startswith("您的投诉（编号T1）已受理")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{{ complaint_id * 1000000 }}", "Mul is not available"),
        ("{{ 9 ** 999999 }}", "Pow is not available"),
        (
            "{% for a in complaint_id %}{% for b in complaint_id %}x{% endfor %}{% endfor %}",
            "For is not available",
        ),
        ("{{ complaint_id|center(1000000000) }}", "the filter 'center' is not available"),
        ("{{ complaint_id.upper() }}", "Call is not available"),
        ("{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}", "Macro is not available"),
        ("{{ handler.__init__.__globals__ }}", "unsafe"),
        ("{% if decision_by %}{{ decision_by }}{% endif %}{{ outlet }}", "unknown placeholder"),
        ("{% if false %}x{% endif %}", "empty"),
    ],
)
def test_a_template_can_only_read_its_own_facts(body: str, says: str) -> None:
    """The sandbox, and no construct whose output or time is not bounded by the template's
    size: an administrator's template never stalls the API or the relay."""
    with pytest.raises(TemplateProblem, match=re.escape(says)):
        check(CustomerTemplate.ACKNOWLEDGEMENT, "投诉已受理", body)
