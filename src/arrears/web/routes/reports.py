"""The reports area (managers and owners): aging, DSO and CEI with their trend by month, promises,
disputes by reason and the team's work over a period, each chart with its table under it and a CSV
download; and the month's pack as a PDF for the CFO.

The figures come from services/reports.py; this module lays them out as charts (adapters/charts.py:
inline SVG, no script, colours as attributes, so the workspace's CSP holds and the PDF draws the same).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from ...adapters.charts import Series, bar_chart, line_chart
from ...domain.aging import BUCKETS
from ...domain.currencies import minor_unit
from ...domain.dates import check_day
from ...domain.errors import InvalidValue
from ...domain.reports import Period
from ...services import reports
from ...services.spreadsheets import spreadsheet_writer
from ..pages import WebRoute, WebState, WebUser, parse_day, render
from .inbox import disposition

router = APIRouter(route_class=WebRoute, include_in_schema=False)

From = Annotated[str, Query(alias="from", max_length=10)]
To = Annotated[str, Query(alias="to", max_length=10)]
Month = Annotated[str, Query(max_length=7, pattern=r"^(|\d{4}-\d{2})$")]


def _today(web: WebState) -> date:
    assert web.arrears.clock is not None
    return web.arrears.clock.today()


def _period(web: WebState, start: str, end: str) -> Period:
    today = _today(web)
    return Period.of(parse_day(start, "first day"), parse_day(end, "last day"), today)


def _major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_unit(currency))


def _month_labels(months: list[reports.ReceivablesLine]) -> list[str]:
    """ "Nov 2025", "Dec", "Jan 2026", "Feb", …: the year on the first month and on each January."""
    return [
        line.period.start.strftime("%b %Y" if k == 0 or line.period.start.month == 1 else "%b")
        for k, line in enumerate(months)
    ]


def charts(view: reports.Overview, currency: str) -> dict[str, Markup | None]:
    """The page's charts for `currency` (aging, the trend) and for every currency (promises) or none
    (disputes and the team's work count, never add up, amounts)."""
    out: dict[str, Markup | None] = {}
    aging = next((a for a in view.aging if a.currency == currency), None)
    out["aging"] = (
        bar_chart(
            f"Aging of {currency} on {view.period.end}",
            list(BUCKETS),
            [Series(f"Outstanding ({currency})", [_major(m, currency) for m in aging.buckets])],
            unit=f" {currency}",
        )
        if aging
        else None
    )
    months = view.trend.lines.get(currency, [])
    labels = _month_labels(months)
    out["dso"] = line_chart(
        f"DSO by month, {currency}",
        labels,
        [
            Series("DSO", [line.dso.dso for line in months]),
            Series("Best possible DSO", [line.dso.best_possible_dso for line in months]),
            Series("Average days delinquent", [line.dso.add for line in months]),
        ],
        unit=" days",
    )
    out["cei"] = line_chart(
        f"CEI by month, {currency}", labels, [Series("CEI", [line.cei for line in months])], unit="%"
    )
    promised = view.promises.rows
    out["promises"] = bar_chart(
        "Promises to pay by currency",
        [row.currency for row in promised],
        [
            Series("Kept", [row.kept for row in promised]),
            Series("Broken", [row.broken for row in promised]),
            Series("Open", [row.open for row in promised]),
        ],
    )
    reasons: dict[str, list[int]] = {}
    for row in view.disputes.rows:
        counts = reasons.setdefault(row.reason, [0, 0, 0])
        counts[0] += row.opened
        counts[1] += row.resolved
        counts[2] += row.rejected
    out["disputes"] = bar_chart(
        "Disputes by reason",
        list(reasons),
        [Series(name, [c[k] for c in reasons.values()]) for k, name in enumerate(("Opened", "Resolved", "Rejected"))],
    )
    team = view.productivity.rows
    out["productivity"] = bar_chart(
        "Tasks completed and calls by user",
        [row.user or "(no collector)" for row in team],
        [
            Series("Tasks completed", [row.tasks_completed for row in team]),
            Series("Calls", [sum(row.calls.values()) for row in team]),
            Series("Promises taken", [row.promises_taken for row in team]),
        ],
    )
    return out


# The team table's headings on the page (the CSV keeps the field names).
TEAM_HEADINGS = {
    "user": "User",
    "tasks_completed": "Tasks done",
    "calls_answered": "Answered",
    "calls_not_answered": "No answer",
    "calls_left_voicemail": "Voicemail",
    "calls_skipped": "Skipped",
    "promises_taken": "Promises",
    "emails_sent": "Reminders",
}


def _heading(field: str) -> str:
    if field in TEAM_HEADINGS:
        return TEAM_HEADINGS[field]
    if field.startswith("collected_"):
        return f"Collected {field.removeprefix('collected_')}"
    return field.removeprefix("calls_").replace("_", " ").capitalize()


def _context(view: reports.Overview, currency: str) -> dict[str, Any]:
    chosen = currency if currency in view.currencies else (view.currencies[0] if view.currencies else "")
    return {
        "view": view,
        "currency": chosen,
        "charts": charts(view, chosen),
        "dso": [line.dso_dict() for line in view.lines],
        "cei": [line.cei_dict() for line in view.lines],
        "months": [line.month_dict() for line in view.trend.lines.get(chosen, [])],
        "promises": view.promises.as_dict()["rows"],
        "disputes": view.disputes.as_dict()["rows"],
        "team": view.productivity.table("(no collector)"),
        "team_headings": [_heading(f) for f in view.productivity.table()[0]],
        "buckets": BUCKETS,
    }


@router.get("/reports")
def reports_page(
    request: Request,
    user: WebUser,
    web: WebState,
    start: From = "",
    end: To = "",
    currency: Annotated[str, Query(max_length=3, pattern="^[A-Za-z]{0,3}$")] = "",
) -> Response:
    period = _period(web, start, end)
    view = reports.overview(web.arrears.uow(), user, period, web.arrears.workspace.timezone)
    last_month = period.end.replace(day=1) - timedelta(days=1)
    return render(
        request,
        "reports.html",
        user=user,
        params={"from": start, "to": end, "currency": currency.upper()},
        query=f"from={period.start}&to={period.end}",
        pack_month=last_month.strftime("%Y-%m"),
        **_context(view, currency.upper()),
    )


@router.get("/reports/pack.pdf")
def month_pack(user: WebUser, web: WebState, month: Month = "") -> Response:
    """The month's reports as a PDF (default: last month): every currency's figures and charts."""
    today = _today(web)
    if month:
        try:
            first = check_day(date.fromisoformat(f"{month}-01"), "the month beginning")
        except ValueError:
            raise InvalidValue(f"{month!r} is not a month (YYYY-MM)") from None
    else:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if first > today:
        raise InvalidValue(f"{month} has not begun")
    period = Period(first, today).months()[0]  # the month, to today while it runs
    view = reports.overview(web.arrears.uow(), user, period, web.arrears.workspace.timezone)
    pages = [_context(view, currency) for currency in view.currencies] or [_context(view, "")]
    pdf = web.arrears.templates.report_pack_pdf(
        {"period": period, "month": first.strftime("%B %Y"), "pages": pages, "first": pages[0]}
    )
    name = f"arrears-reports-{first:%Y-%m}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": disposition("attachment", name)})


@router.get("/reports/{kind}.csv")
def report_csv(
    kind: str,
    user: WebUser,
    web: WebState,
    start: From = "",
    end: To = "",
) -> Response:
    period = _period(web, start, end)
    header, rows = reports.report_table(web.arrears.uow(), user, kind, period, web.arrears.workspace.timezone)
    out = io.StringIO()
    writer = spreadsheet_writer(out, lineterminator="\r\n")  # no cell can run as a formula
    writer.writerow(header)
    writer.writerows(rows)
    name = f"{kind}-{period.start}-{period.end}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": disposition("attachment", name)},
    )
