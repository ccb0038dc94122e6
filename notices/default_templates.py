"""The words of every customer notice as shipped (R-CU-1): Chinese, and English for a customer who
chose it. They are version 0 of each template; an administrator's saved version replaces one
from the moment it is saved (`POST /v1/notice-templates/{template}/{language}`, api/templates.py).

Jinja2 syntax (notices/templates.py renders them in a sandbox): `{{ fact }}` for a fact of the
notice (which facts each template may use: `notices.templates.FACTS`), `{% if fact %}...{% endif %}`
for a fact a notice may lack. Dates print as YYYY-MM-DD, the last day told (R-IN-4). The hand-over
and referral words promise no outcome (R-CR-3, R-CR-4: `domain.intake_rules.PROMISE_WORDS`).
The decision names the routes outside the company (R-CU-1): mediation, arbitration, the courts
and the regulator's consumer hotline 12378. The insurer's opinion is fed back as the insurer gave
it (R-CU-4); a new handler is named with their team and how to reach them, never why (R-CU-2).
"""

from __future__ import annotations

from domain.intake import Language
from domain.notice_models import CustomerTemplate

T = CustomerTemplate

# (template, language) -> (subject, body)
DEFAULTS: dict[tuple[CustomerTemplate, Language], tuple[str, str]] = {
    (T.ACKNOWLEDGEMENT, "zh"): (
        "投诉已受理",
        "您的投诉（编号{{ complaint_id }}）已受理，我们将在{{ decision_by }}前将处理结果告知您。"
        "您的投诉由{{ handler }}负责处理。",
    ),
    (T.ACKNOWLEDGEMENT, "en"): (
        "Complaint accepted",
        "Your complaint {{ complaint_id }} was accepted; a decision will reach you by "
        "{{ decision_by }}. Your handler is {{ handler }}.",
    ),
    (T.HANDLING_EXTENDED, "zh"): (
        "处理期限延长",
        "您的投诉（编号{{ complaint_id }}）的预计处理日期已延至{{ handling_by }}。"
        "{% if decision_by %}根据监管规定，处理结果将在{{ decision_by }}前告知您。{% endif %}",
    ),
    (T.HANDLING_EXTENDED, "en"): (
        "Handling time extended",
        "The expected handling date of your complaint {{ complaint_id }} is now "
        "{{ handling_by }}.{% if decision_by %} Under the regulation, the decision will reach "
        "you by {{ decision_by }}.{% endif %}",
    ),
    (T.REGULATORY_EXTENDED, "zh"): (
        "处理时限延长",
        "根据监管规定，您的投诉（编号{{ complaint_id }}）的处理结果将在{{ decision_by }}前告知您。",
    ),
    (T.REGULATORY_EXTENDED, "en"): (
        "Decision date extended",
        "Under the regulation, the decision on your complaint {{ complaint_id }} will reach you "
        "by {{ decision_by }}.",
    ),
    (T.DECISION_DATE_KNOWN, "zh"): (
        "处理时限",
        "国家节假日安排已公布，您的投诉（编号{{ complaint_id }}）的处理结果"
        "将在{{ decision_by }}前告知您。",
    ),
    (T.DECISION_DATE_KNOWN, "en"): (
        "Decision date",
        "The official holiday arrangement is now known: the decision on your complaint "
        "{{ complaint_id }} will reach you by {{ decision_by }}.",
    ),
    (T.PAUSED, "zh"): (
        "处理暂停",
        "您的投诉（编号{{ complaint_id }}）需进行外部鉴定、检测或定损，这段时间不计入处理期限；"
        "恢复处理时我们会再通知您。",
    ),
    (T.PAUSED, "en"): (
        "Handling paused",
        "Your complaint {{ complaint_id }} waits for outside appraisal, testing or loss "
        "assessment; that time does not count toward the handling deadline. We will tell you "
        "when handling resumes.",
    ),
    (T.RESUMED, "zh"): (
        "恢复处理",
        "您的投诉（编号{{ complaint_id }}）已恢复处理。"
        "{% if decision_by %}处理结果将在{{ decision_by }}前告知您。{% endif %}",
    ),
    (T.RESUMED, "en"): (
        "Handling resumed",
        "Handling of your complaint {{ complaint_id }} has resumed.{% if decision_by %} The "
        "decision will reach you by {{ decision_by }}.{% endif %}",
    ),
    (T.HANDED_TO_INSURER, "zh"): (
        "投诉已转保险公司处理",
        "您{% if bank %}在{{ bank }}{% if outlet %}{{ outlet }}{% endif %}{% endif %}提出的投诉"
        "（编号{{ complaint_id }}）已转交{{ insurer }}处理，{{ insurer }}将在{{ contact_by }}前"
        "与您联系。",
    ),
    (T.HANDED_TO_INSURER, "en"): (
        "Complaint passed to the insurer",
        "Your complaint {{ complaint_id }}{% if bank %} made at {{ bank }}{% if outlet %} "
        "{{ outlet }}{% endif %}{% endif %} has been passed to {{ insurer }} for handling. "
        "{{ insurer }} will contact you about it by {{ contact_by }}.",
    ),
    (T.REFERRED_TO_INSURER, "zh"): (
        "保单已转保险公司协调处理",
        "您保单的相关情况（投诉编号{{ complaint_id }}）已转交{{ insurer }}核查，"
        "{{ insurer }}将在{{ contact_by }}前告知您后续安排。",
    ),
    (T.REFERRED_TO_INSURER, "en"): (
        "Policy referred to the insurer",
        "The facts of your policy (complaint {{ complaint_id }}) have been referred to "
        "{{ insurer }} for review. You will hear from {{ insurer }} about the next steps by "
        "{{ contact_by }}.",
    ),
    (T.DECISION, "zh"): (
        "投诉处理结果",
        "您的投诉（编号{{ complaint_id }}）已处理完毕。\n"
        "处理结果：{{ outcome }}\n"
        "{% if reasons %}主要理由：{{ reasons }}\n{% endif %}"
        "{% if amount %}涉及金额：{{ amount }}元\n{% endif %}"
        "如您对处理结果有异议，可在{{ review_by }}前（含当日）回复本短信、致电我司客服热线"
        "或联系处理人{{ handler }}申请核查。\n"
        "您也可以申请调解、依约申请仲裁、向人民法院提起诉讼，"
        "或向银行保险监督管理机构反映（消费者投诉热线12378）。",
    ),
    (T.DECISION, "en"): (
        "Decision on your complaint",
        "Your complaint {{ complaint_id }} has been decided.\n"
        "Outcome: {{ outcome }}\n"
        "{% if reasons %}Main reasons: {{ reasons }}\n{% endif %}"
        "{% if amount %}Amount: {{ amount }} yuan\n{% endif %}"
        "If you disagree, you may ask for a review up to and including {{ review_by }}: reply "
        "to this message, call our customer service hotline or contact your handler "
        "{{ handler }}.\n"
        "You may also seek mediation, apply for arbitration under your contract, go to the "
        "courts, or turn to the insurance regulator (consumer hotline 12378).",
    ),
    (T.WITHDRAWAL_CONFIRMED, "zh"): (
        "投诉撤回确认",
        "您已撤回投诉（编号{{ complaint_id }}），我们已停止处理。"
        "如有新的问题，欢迎随时与我们联系。",
    ),
    (T.WITHDRAWAL_CONFIRMED, "en"): (
        "Complaint withdrawn",
        "You withdrew your complaint {{ complaint_id }}; we have stopped handling it. If "
        "anything else comes up, contact us at any time.",
    ),
    (T.REVIEW_ACCEPTED, "zh"): (
        "核查申请已受理",
        "您对投诉（编号{{ complaint_id }}）处理结果提出的核查申请已受理，我们将重新调查核实。"
        "{% if handling_by %}核查结果将在{{ handling_by }}前告知您。{% endif %}",
    ),
    (T.REVIEW_ACCEPTED, "en"): (
        "Review accepted",
        "Your request for a review of the decision on complaint {{ complaint_id }} has been "
        "accepted; we will look into it again.{% if handling_by %} The result will reach you "
        "by {{ handling_by }}.{% endif %}",
    ),
    (T.INSURER_OPINION, "zh"): (
        "保险公司处理意见",
        "关于您的投诉（编号{{ complaint_id }}），{{ insurer }}的处理意见如下：{{ opinion }}\n"
        "如有疑问，可回复本短信或致电我司客服热线。",
    ),
    (T.INSURER_OPINION, "en"): (
        "The insurer's opinion",
        "On your complaint {{ complaint_id }}, {{ insurer }} gives this handling opinion: "
        "{{ opinion }}\nIf you have questions, reply to this message or call our customer "
        "service hotline.",
    ),
    (T.HANDLER_CHANGED, "zh"): (
        "处理人员变更",
        "您的投诉（编号{{ complaint_id }}）现由{{ team }}的{{ handler }}负责处理。"
        "如需联系，可回复本短信或致电我司客服热线，并告知投诉编号。",
    ),
    (T.HANDLER_CHANGED, "en"): (
        "Your complaint has a new handler",
        "Your complaint {{ complaint_id }} is now handled by {{ handler }} of {{ team }}. To "
        "reach them, reply to this message or call our customer service hotline with your "
        "complaint number.",
    ),
    (T.RESOLUTION_PROPOSED, "zh"): (
        "处理方案征求意见",
        "您的投诉（编号{{ complaint_id }}）的处理方案已经审批：{{ resolution }}\n"
        "请在{{ answer_by }}前（含当日）告知处理人{{ handler }}您是否接受该方案；"
        "如不接受，请告诉我们您的意见，我们将重新调查处理。"
        "逾期未答复的，我们将按该方案办理。",
    ),
    (T.RESOLUTION_PROPOSED, "en"): (
        "Your view on the proposed resolution",
        "The resolution proposed for your complaint {{ complaint_id }} has been approved: "
        "{{ resolution }}\n"
        "Please tell your handler {{ handler }} by {{ answer_by }} (inclusive) whether you "
        "accept it; if you do not, tell us your objections and we will look into the case "
        "again. Without an answer by then, we will carry out the resolution.",
    ),
    (T.ANSWER_DATE_KNOWN, "zh"): (
        "答复期限调整",
        "国家法定节假日安排已公布：您对投诉（编号{{ complaint_id }}）处理方案的答复期限"
        "调整为{{ answer_by }}（含当日）。",
    ),
    (T.ANSWER_DATE_KNOWN, "en"): (
        "Your answer's last day",
        "The official holiday arrangement is now known: you may tell us whether you accept "
        "the resolution of complaint {{ complaint_id }} until {{ answer_by }} (inclusive).",
    ),
}
