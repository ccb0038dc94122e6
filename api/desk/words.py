"""The desk's words: each name of the contract in Chinese with its English, "中文 English".

A name without an entry shows as itself (a new action or field is never hidden for want of a
translation).
"""

from __future__ import annotations

from domain.actions import ACTIONS as DEFINITIONS

# Each action's name, from its definition (`ActionDef.label`).
ACTIONS: dict[str, tuple[str, str]] = {
    name: d.label for name, d in DEFINITIONS.items() if d.label is not None
}

STAGES = {
    "contact": "联系 Contact",
    "investigate": "调查 Investigate",
    "approve": "审批 Approve",
    "close": "办结 Close",
    "callback": "回访 Callback",
    "closed": "已办结 Closed",
    "withdrawn": "已撤诉 Withdrawn",
}
GRADES = {"general": "一般 General", "major": "重大 Major", "special": "特殊 Special"}
CHANNELS = {
    "hotline": "热线 Hotline",
    "online": "网络 Online",
    "letter": "信函 Letter",
    "visit": "来访 Visit",
    "partner": "合作机构 Partner",
    "headquarters": "总公司转 Headquarters",
    "association": "行业协会 Association",
    "regulator": "监管转办 Regulator",
    "media": "媒体 Media",
    "other": "其他 Other",
    "bank_outlet": "银行网点 Bank outlet",
    "regulator_provincial": "省级监管 Regulator (provincial)",
    "regulator_national": "国家监管 Regulator (national)",
}
HELP_FLAGS = {
    "vulnerable": "弱势群体 Vulnerable",
    "violent": "有过激行为 Violent",
    "group_risk": "群体投诉风险 Group risk",
    "sent_by_regulator_or_media": "监管或媒体转来 Sent by regulator/media",
}
ROLES = {
    "system": "系统 System",
    "handler": "经办人 Handler",
    "supervisor": "主管 Supervisor",
    "senior_manager": "上级/总公司 Senior manager",
    "auditor": "审计 Auditor",
    "review_group": "考核小组 Review group",
    "admin": "管理员 Admin",
}
VIA = {"api": "接口 API", "codec": "Web UI / CLI (codec)", "system": "系统 System"}
TIMELINE_KINDS = {
    "intake": "受理 Intake",
    "stage": "环节 Stage",
    "action": "操作 Action",
    "refused": "被拒绝 Refused",
    "warning": "预警 Warning",
    "breach": "超时 Breach",
    "reminder": "催办 Reminder",
    "notice": "通知 Notice",
    "clock": "时限 Clock",
}
# The values of the actions' own choices (`Literal`s).
VALUES = {
    "phone": "电话 Phone",
    "visit": "面访 Visit",
    "letter": "信函 Letter",
    "online": "网络 Online",
    "questionnaire": "问卷 Questionnaire",
    # R-CU-3: the customer's answer to the resolution, and how it came
    "accepts": "接受 Accepts",
    "rejects": "不接受 Rejects",
    "in_person": "当面 In person",
    "email": "电子邮件 E-mail",
    "sms": "短信 SMS",
    "coverage": "责任认定 Coverage",
    "loss_assessment": "定损 Loss assessment",
    "superior": "上级机构 Superior office",
    "headquarters": "总公司 Headquarters",
    "regulator": "监管机构 Regulator",
    "government": "政府部门 Government body",  # R-GR-4
    "media": "新闻媒体 News media",
    "early_signs": "群体事件苗头 Early signs",
    "appraisal": "鉴定 Appraisal",
    "testing": "检测 Testing",
    "unauthorised_promise": "擅自承诺 Unauthorised promise",
    "disclosure": "泄露信息 Disclosure",
    "media_interview": "擅自接受采访 Media interview",
    "pushed_upward": "推诿上交 Pushed upward",
    "harmful_material": "不当材料 Harmful material",
    "wrong_crisis_decision": "危机决策失误 Wrong crisis decision",
    "failure_to_act": "不作为 Failure to act",
    "30": "30 天 days",
    "60": "60 天 days",
}
FIELDS = {
    "note": "备注 Note",
    "method": "方式 Method",
    "findings": "调查结果 Findings",
    "proposed_resolution": "处理方案 Proposed resolution",
    "difficulty": "难点 Difficulty",
    "report_to": "通报部门 Report to (department)",  # R-ST-1
    "approved": "同意 Approved",
    "collective": "集体决策 Collective decision",
    "participants": "参与人（每行一人） Participants (one a line)",
    "reason": "理由 Reason",
    "result": "处理结果 Result",
    "satisfied": "客户满意 Satisfied",
    "comments": "客户意见 Comments",
    "new_demand": "新诉求 New demand",
    "new_due_at": "新期限 New deadline",
    "regulatory_days": "监管时限（天） Regulatory days",
    "reasons": "原因（每行一条） Reasons (one a line)",
    "people_count": "人数 People",
    "level": "报告对象 Level",
    "summary": "摘要 Summary",
    "to": "接收人 To",
    "attachments": "附件编号（每行一个） Evidence ids (one a line)",
    "deadlines.contact_hours": "联系时限（小时） Contact hours",
    "deadlines.investigate_days": "调查时限（天） Investigate days",
    "deadlines.approve_days": "审批时限（天） Approve days",
    "minutes": "分钟 Minutes",
    "owner": "经办人 Owner",
    "department": "部门 Department",
    "supervisor": "主管 Supervisor",
    "branch": "机构 Branch",
    "requirements": "办理要求 Requirements",
    "days": "工作日 Working days",
    "hours": "工作小时 Working hours",
    "transfer": "转办编号 Transfer",
    "outcome": "反馈 Outcome",
    "insurer": "保险公司 Insurer",
    "signed_personally": "本人签字 Signed personally",
    "callback_compliant": "回访合规 Callback compliant",
    "mis_selling_proof": "误导销售证据 Mis-selling proof",
    "misled_by": "误导人员 Misled by",
    "amount": "金额（元） Amount (CNY)",
    "currency": "币种 Currency",
    "script": "话术 Script",
    "person": "员工 Person",
    "kind": "类型 Kind",
    "detail": "详情 Detail",
    "flags": "需协助标记 Flags",
    "police": "警方 Police",
    "commander": "现场指挥 Commander",
    "channel": "渠道 Channel",
    "external_id": "外部编号 External id",
    "new_facts": "新事实 New facts",
    "opinion": "保险公司处理意见（告知客户） Insurer's opinion (told to the customer)",
    # The intake form (api/desk/intake.py)
    "received_at": "收到时间 Received at",
    "customer.name": "客户姓名 Customer's name",
    "customer.phone": "客户电话 Customer's phone",
    "customer.id_number": "证件号码 ID number",
    "customer.email": "电子邮箱 Email",
    "customer.language": "通知语言 Language of notices",
    "policy_number": "保单号 Policy number",
    "product": "产品 Product",
    "category": "投诉类别 Category",
    "matter": "投诉事项 Matter",
    "demands": "客户诉求 Demands",
    "grade": "等级 Grade",
    "help_flags": "需协助标记 Help flags",
    "bank_outlet.bank": "银行 Bank",
    "bank_outlet.outlet": "网点 Outlet",
    "bank_outlet.responsible_person": "网点负责人 Outlet's responsible person",
    "amount_involved.amount": "涉案金额 Amount involved",
    "amount_involved.currency": "币种 Currency",
    "staff_complained_about": "被投诉员工（回避） Staff complained about (recused)",
    "department_head": "部门负责人（重大、危机集体决策） Department head (major, crisis decisions)",
    "head": "部门负责人 Department head",
    "body": "外部机构 Outside body",
    "response": "客户对方案的意见 Customer's response",  # R-CU-3
    "objections": "客户异议（不接受时必填） Objections (when rejecting)",
}


def action(name: str) -> str:
    zh, en = ACTIONS.get(name, ("", name))
    return f"{zh} {en}".strip()


def field(name: str) -> str:
    return FIELDS.get(name, name)


def of(table: dict[str, str], value: object) -> str:
    key = getattr(value, "value", value)
    return table.get(str(key), str(key)) if key is not None else ""
