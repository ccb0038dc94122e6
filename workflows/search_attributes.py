"""The custom search attributes of the contract: what ops staff filter on in the Web UI.

Values here are never customer data: search attributes are stored unencrypted.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("ComplaintStage")
GRADE = SearchAttributeKey.for_keyword("ComplaintGrade")
CHANNEL = SearchAttributeKey.for_keyword("ComplaintChannel")
BRANCH = SearchAttributeKey.for_keyword("ComplaintBranch")
OWNER = SearchAttributeKey.for_keyword("ComplaintOwner")
CATEGORY = SearchAttributeKey.for_keyword("ComplaintCategory")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
STAGE_DUE_AT = SearchAttributeKey.for_datetime("StageDueAt")
CRISIS = SearchAttributeKey.for_bool("Crisis")
REOPEN_COUNT = SearchAttributeKey.for_int("ReopenCount")
HELP_FLAGS = SearchAttributeKey.for_keyword_list("CustomerHelpFlags")  # R-CR-5, when flagged
# Rules 5: the branch name without spaces (`shanghai-pudong`), since the Web UI's filter chip
# cuts a value at its first space (docs/web-ui-and-cli.md).
BRANCH_CODE = SearchAttributeKey.for_keyword("ComplaintBranchCode")

ALL: tuple[SearchAttributeKey[Any], ...] = (
    STAGE,
    GRADE,
    CHANNEL,
    BRANCH,
    OWNER,
    CATEGORY,
    SLA_BREACHED,
    STAGE_DUE_AT,
    CRISIS,
    REOPEN_COUNT,
    HELP_FLAGS,
    BRANCH_CODE,
)
