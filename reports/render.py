"""The monthly report as CSV and as a printable HTML page with charts.

CSV (`text/csv`, UTF-8, no BOM, RFC 4180 quoting, `\\r\\n` line ends): one table with the header
`section,key,metric,value`, one figure a row, so that a spreadsheet can pivot it:

- `report`, key `period` `branch_prefix` `time_zone` `starts_at` `ends_at` `generated_at`,
  metric `value`: the text;
- `summary`, key empty, metric `complaints` `reopened` `reopens` `reopen_rate` `repeat`
  `escalated` `multi_channel` `amount_involved` (R-IN-8, CNY);
- `category`, `channel`, `grade`, `outcome`, `product`, `branch`: key the value, metric
  `complaints`;
- `sla`, key the stage: `clocks` `met_on_time` `breached` `open` `extended` `provisional`
  `compliance_rate`;
- `product_rate`, key the product: `complaints` `policies` `premium_yuan` `per_10k_policies`
  `per_100m_premium`;
- `effective_limit`, key empty, metric `limit`: `0.05`;
- `effective`, key the branch: `complaints` `determined` `effective` `not_effective` `exempt`
  `claims_reported` `effective_rate` `over_limit`;
- `trend`, key `YYYY-MM`, metric `complaints`;
- `root_cause` (R-AN-8), key the cause's code, metric `cases` (decided in the month);
  `cause_by_product`, `cause_by_branch`, `cause_by_outlet`: key the product, branch or bank
  outlet, metric the cause's code, value the cases;
- `hot_spot` (R-AN-8), key `branch/dimension/key` (dimension `cause` or `product`): `count`
  `trailing_mean` `owner` `due_on` `rectified`.

Rates are fractions (0.05, not 5%); an unknown figure is an empty cell; booleans are
`true`/`false`.

HTML: one self-contained page (inline CSS, charts as `data:image/svg+xml;base64` images drawn
by matplotlib, no script, nothing fetched), laid out for A4 printing: the summary, the trend
by month, the breakdowns by channel and by category, SLA compliance per stage, then every
table of the report. Chart text is kept as SVG text (`svg.fonttype: none`), so the reader's
fonts draw Chinese category and branch names.
"""

from __future__ import annotations

import base64
import csv
import io
import threading
import warnings
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from reports.statistics import MonthlyReport

if TYPE_CHECKING:  # matplotlib is imported on the first chart (0.4 s), not with the API
    from matplotlib.figure import Figure

CSV_HEADER = ("section", "key", "metric", "value")
_COLOURS = {"main": "#2f5d8a", "met": "#3a8a4f", "breached": "#c0392b", "open": "#b8b8b8"}
_DRAWING = threading.Lock()  # matplotlib's rcParams are process-wide


# ---------------------------------------------------------------------------------------------
# CSV


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 10))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_rows(report: MonthlyReport) -> Iterator[tuple[str, str, str, str]]:
    """The rows of the CSV table, header excluded."""
    for name in ("period", "branch_prefix", "time_zone", "starts_at", "ends_at", "generated_at"):
        yield "report", name, "value", _cell(getattr(report, name))
    for name in (
        "complaints",
        "reopened",
        "reopens",
        "reopen_rate",
        "repeat",
        "escalated",
        "multi_channel",
        "amount_involved",
    ):
        yield "summary", "", name, _cell(getattr(report, name))
    for section, counts in _breakdowns(report):
        for key, n in counts.items():
            yield section, key, "complaints", str(n)
    for stage in report.sla:
        for name in (
            "clocks",
            "met_on_time",
            "breached",
            "open",
            "extended",
            "provisional",
            "compliance_rate",
        ):
            yield "sla", stage.stage, name, _cell(getattr(stage, name))
    for rate in report.product_rates:
        for name in (
            "complaints",
            "policies",
            "premium_yuan",
            "per_10k_policies",
            "per_100m_premium",
        ):
            yield "product_rate", rate.product, name, _cell(getattr(rate, name))
    yield "effective_limit", "", "limit", _cell(report.effective.limit)
    for branch in report.effective.branches:
        for name in (
            "complaints",
            "determined",
            "effective",
            "not_effective",
            "exempt",
            "claims_reported",
            "effective_rate",
            "over_limit",
        ):
            yield "effective", branch.branch, name, _cell(getattr(branch, name))
    for month in report.trend:
        yield "trend", month.period, "complaints", str(month.complaints)
    rc = report.root_causes  # R-AN-8
    for code, n in rc.by_cause.items():
        yield "root_cause", code, "cases", str(n)
    for section, nested in (
        ("cause_by_product", rc.by_product),
        ("cause_by_branch", rc.by_branch),
        ("cause_by_outlet", rc.by_outlet),
    ):
        for key, counts in nested.items():
            for code, n in counts.items():
                yield section, key, code, str(n)
    for h in report.hot_spots:
        key = f"{h.branch}/{h.dimension}/{h.key}"
        for name in ("count", "trailing_mean", "owner", "due_on", "rectified"):
            yield "hot_spot", key, name, _cell(getattr(h, name))


def render_csv(report: MonthlyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(report))
    return out.getvalue()


def _breakdowns(report: MonthlyReport) -> list[tuple[str, dict[str, int]]]:
    return [
        ("category", report.by_category),
        ("channel", report.by_channel),
        ("grade", report.by_grade),
        ("outcome", report.by_outcome),
        ("product", report.by_product),
        ("branch", report.by_branch),
        ("help_flag", report.by_help_flag),  # R-CR-5
    ]


# ---------------------------------------------------------------------------------------------
# Charts


def _svg_data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure  # the OO API: no pyplot, no global figure state

    return Figure(figsize=(width, height))


def _integer_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _empty(fig: Figure) -> None:
    fig.text(0.5, 0.5, "no data", ha="center", va="center", color="#888888")


def trend_chart(report: MonthlyReport) -> Figure:
    fig = _figure(7.0, 2.6)
    ax = fig.add_subplot()
    labels = [m.period for m in report.trend]
    values = [m.complaints for m in report.trend]
    bars = ax.bar(labels, values, color=_COLOURS["main"])
    bars[-1].set_color("#e08a1e")  # the report's month
    ax.bar_label(bars, fontsize=7)
    ax.set_title("Complaints by month (12 months)")
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylabel("complaints")
    _integer_ticks(ax.yaxis)
    return fig


def breakdown_chart(title: str, counts: dict[str, int], top: int = 12) -> Figure:
    items = list(counts.items())
    if len(items) > top:
        rest = sum(n for _, n in items[top - 1 :])
        items = [*items[: top - 1], (f"other ({len(items) - top + 1})", rest)]
    fig = _figure(3.4, max(1.6, 0.28 * len(items) + 0.8))
    ax = fig.add_subplot()
    ax.set_title(title)
    if not items:
        ax.set_axis_off()
        _empty(fig)
        return fig
    labels = [k for k, _ in reversed(items)]
    values = [n for _, n in reversed(items)]
    bars = ax.barh(labels, values, color=_COLOURS["main"])
    ax.bar_label(bars, fontsize=7, padding=2)
    ax.set_xlabel("complaints")
    _integer_ticks(ax.xaxis)
    ax.margins(x=0.15)
    return fig


def sla_chart(report: MonthlyReport) -> Figure:
    fig = _figure(7.0, 2.4)
    ax = fig.add_subplot()
    ax.set_title("SLA compliance per stage (clocks started in the month)")
    stages = [s.stage for s in reversed(report.sla)]
    met = [s.met_on_time for s in reversed(report.sla)]
    breached = [s.breached for s in reversed(report.sla)]
    still_open = [s.open for s in reversed(report.sla)]
    ax.barh(stages, met, color=_COLOURS["met"], label="met on time")
    ax.barh(stages, breached, left=met, color=_COLOURS["breached"], label="breached")
    ax.barh(
        stages,
        still_open,
        left=[a + b for a, b in zip(met, breached, strict=True)],
        color=_COLOURS["open"],
        label="open",
    )
    for y, s in enumerate(reversed(report.sla)):
        text = "—" if s.compliance_rate is None else f"{s.compliance_rate:.1%}"
        ax.annotate(
            text, (s.clocks, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8
        )
    ax.set_xlabel("clocks")
    _integer_ticks(ax.xaxis)
    ax.margins(x=0.12)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return fig


def charts(report: MonthlyReport) -> dict[str, str]:
    """The four charts as SVG data URIs: trend, channel, category, sla."""
    import matplotlib

    with _DRAWING:
        matplotlib.use("Agg")  # no display on a server (pyplot is never used here anyway)
        with (
            matplotlib.rc_context(
                {
                    "svg.fonttype": "none",
                    "svg.hashsalt": "complaints-report",  # stable ids: same report, same SVG
                    "font.family": "sans-serif",
                    "font.sans-serif": [
                        "DejaVu Sans",
                        "Noto Sans CJK SC",
                        "Microsoft YaHei",
                        "PingFang SC",
                    ],
                    "font.size": 9,
                    "axes.spines.top": False,
                    "axes.spines.right": False,
                }
            ),
            warnings.catch_warnings(),
        ):
            # Without a CJK font installed, matplotlib warns while measuring Chinese labels;
            # the SVG keeps them as text, which the reader's fonts draw.
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
            return {
                "trend": _svg_data_uri(trend_chart(report)),
                "channel": _svg_data_uri(breakdown_chart("By channel", report.by_channel)),
                "category": _svg_data_uri(breakdown_chart("By category", report.by_category)),
                "sla": _svg_data_uri(sla_chart(report)),
            }


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10pt; color: #222; margin: 1.5em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; }
h2 { font-size: 12pt; margin: 1.2em 0 0.4em; border-bottom: 1px solid #ccc; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.3em 0 0.8em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef2f6; }
tr.over td { background: #fde2df; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.charts img { max-width: 100%; }
.grid { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
.note { color: #555; font-size: 9pt; }
section, figure, table { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 12mm; }
@media print { body { margin: 0; } }
"""


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[str] = ()) -> str:
    h = "".join(f"<th>{escape(c)}</th>" for c in head)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _counts(title: str, counts: dict[str, int], total: int) -> str:
    rows = [(k, f"{n:,}", _pct(n / total if total else None)) for k, n in counts.items()]
    return f"<div><h3>{escape(title)}</h3>{_table((title, 'complaints', 'share'), rows)}</div>"


def render_html(report: MonthlyReport) -> str:
    """The printable page (see the module's docstring)."""
    images = charts(report)
    scope = f" · branches {report.branch_prefix}*" if report.branch_prefix else ""
    summary = _table(
        ("figure", "value"),
        [
            ("complaints", f"{report.complaints:,}"),
            ("reopened (at least once)", f"{report.reopened:,}"),
            ("reopenings in total", f"{report.reopens:,}"),
            ("reopen rate", _pct(report.reopen_rate)),
            ("repeat complaints", f"{report.repeat:,}"),
            ("escalated complaints", f"{report.escalated:,}"),
            ("multi-channel complaints", f"{report.multi_channel:,}"),
            ("amount involved (CNY)", f"{report.amount_involved:,.2f}"),
            ("branches over the effective-complaint limit", f"{len(report.effective.over_limit)}"),
        ],
    )
    sla = _table(
        (
            "stage",
            "clocks",
            "met on time",
            "breached",
            "open",
            "open, provisional deadline",
            "extended",
            "compliance",
        ),
        [
            (
                s.stage,
                f"{s.clocks:,}",
                f"{s.met_on_time:,}",
                f"{s.breached:,}",
                f"{s.open:,}",
                f"{s.provisional:,}",
                f"{s.extended:,}",
                _pct(s.compliance_rate),
            )
            for s in report.sla
        ],
    )
    rates = _table(
        (
            "product",
            "complaints",
            "policies",
            "premium (¥)",
            "per 10,000 policies",
            "per ¥100m premium",
        ),
        [
            (
                r.product,
                f"{r.complaints:,}",
                _fmt(r.policies),
                _fmt(r.premium_yuan),
                _num(r.per_10k_policies),
                _num(r.per_100m_premium),
            )
            for r in report.product_rates
        ],
    )
    control = report.effective
    effective = _table(
        (
            "branch",
            "complaints",
            "determined",
            "effective",
            "not effective",
            "exempt",
            "claims reported",
            "effective / claims",
            "over 5%",
        ),
        [
            (
                b.branch,
                f"{b.complaints:,}",
                f"{b.determined:,}",
                f"{b.effective:,}",
                f"{b.not_effective:,}",
                f"{b.exempt:,}",
                _fmt(b.claims_reported),
                _pct(b.effective_rate),
                "OVER" if b.over_limit else "",
            )
            for b in control.branches
        ],
        ["over" if b.over_limit else "" for b in control.branches],
    )
    flagged = (
        "Branches over the limit: " + ", ".join(escape(b) for b in control.over_limit) + "."
        if control.over_limit
        else "No branch is over the limit."
    )
    missing = (
        " No claims figure for: "
        + ", ".join(escape(b) for b in control.without_claims_figures)
        + "."
        if control.without_claims_figures
        else ""
    )
    trend = _table(("month", "complaints"), [(m.period, f"{m.complaints:,}") for m in report.trend])
    breakdowns = "".join(
        _counts(title, counts, report.complaints)
        for title, counts in (
            ("category", report.by_category),
            ("channel", report.by_channel),
            ("grade", report.by_grade),
            ("outcome", report.by_outcome),
            ("product", report.by_product),
            ("branch", report.by_branch),
        )
    )

    causes_html = _causes_html(report)

    def img(name: str, alt: str) -> str:
        return f'<img src="{images[name]}" alt="{escape(alt)}">'

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Complaints monthly report {escape(report.period)}</title>
<style>{_CSS}</style></head>
<body>
<h1>Complaints · monthly report {escape(report.period)}{escape(scope)}</h1>
<p class="meta">{report.starts_at:%Y-%m-%d %H:%M} to {report.ends_at:%Y-%m-%d %H:%M}
({escape(report.time_zone)}), received complaints · generated
{report.generated_at:%Y-%m-%d %H:%M} UTC</p>
<section><h2>Summary (R-AN-1)</h2>{summary}</section>
<section><h2>Trend</h2><figure>{img("trend", "complaints by month")}</figure>{trend}</section>
<section><h2>By channel and by category</h2><div class="charts">
{img("channel", "complaints by channel")}{img("category", "complaints by category")}</div>
</section>
<section><h2>SLA compliance per stage</h2><figure>{img("sla", "SLA compliance per stage")}</figure>
{sla}<p class="note">Compliance = met on time / (met on time + breached), over the stage
clocks started in the month; open clocks are not judged yet. A provisional deadline falls in a
year whose holidays are not published or entered yet (weekdays only, R-SLA-3): it may
move.</p></section>
<section><h2>Effective complaints against claims reported (R-AN-2, limit
{control.limit:.0%})</h2>{effective}<p class="note">{flagged}{missing}</p></section>
<section><h2>Complaint rate per product</h2>{rates}<p class="note">Each rate counts the
complaints of the branches that reported the figure.</p></section>
<section><h2>Breakdowns</h2><div class="grid">{breakdowns}</div></section>
{causes_html}
</body></html>
"""


def _causes_html(report: MonthlyReport) -> str:
    """R-AN-8: causes by product, branch and outlet, and the month's hot spots."""
    rc = report.root_causes
    codes = list(rc.by_cause)

    def grid(title: str, nested: dict[str, dict[str, int]]) -> str:
        if not nested:
            return ""
        rows = [(k, *(f"{nested[k].get(c, 0):,}" for c in codes)) for k in nested]
        return f"<div><h3>{escape(title)}</h3>{_table((title, *codes), rows)}</div>"

    causes = _table(
        ("cause", "label", "cases"),
        [(c, rc.labels.get(c, c), f"{n:,}") for c, n in rc.by_cause.items()],
    )
    rule = report.hot_spot_rule
    spots = _table(
        (
            "branch",
            "cause or product",
            "count",
            "trailing months",
            "trailing mean",
            "owner",
            "due",
            "rectified",
        ),
        [
            (
                h.branch,
                f"{h.dimension}: {h.label}",
                f"{h.count:,}",
                ", ".join(str(n) for n in h.trailing),
                _num(h.trailing_mean),
                h.owner or "—",
                h.due_on.isoformat() if h.due_on else "—",
                "yes" if h.rectified else "",
            )
            for h in report.hot_spots
        ],
        ["over" if not h.rectified else "" for h in report.hot_spots],
    )
    none = "" if report.hot_spots else '<p class="note">No hot spot this month.</p>'
    return f"""<section><h2>Root causes (R-AN-8): cases decided in the month</h2>{causes}
<div class="grid">{grid("product", rc.by_product)}{grid("branch", rc.by_branch)}
{grid("bank outlet", rc.by_outlet)}</div></section>
<section><h2>Hot spots (R-AN-8)</h2>{spots}{none}<p class="note">A hot spot: a cause's (cases
decided) or a product's (complaints received) count in a branch of at least {rule.min_count}
and at least {rule.factor:g} times its mean over the {rule.trailing_months} months before.
Each gets a rectification owner and a due date (GET /v1/hot-spots).</p></section>"""
