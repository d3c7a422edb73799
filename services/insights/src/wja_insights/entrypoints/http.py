"""The insights API: measures for a period and force, as JSON, CSV and a chart page."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from wja_platform import auth, web
from wja_platform.api import IsoDate, app_deps
from wja_platform.auth import Principal
from wja_platform.problems import Invalid

from wja_insights import views
from wja_insights.domain import measures
from wja_insights.service_layer import handlers

ALLOWED = ("police:analyst", "cps:analyst", "court:analyst", "idva:analyst", "idva:manager")
Analyst = Annotated[Principal, Depends(auth.require(*ALLOWED))]
Deps = Annotated[handlers.Deps, Depends(app_deps)]
Operator = Annotated[Principal, Depends(auth.require("police:service", "cps:service", "court:service", "idva:service"))]


def period_of(quarter: str | None, start: date | None, end: date | None) -> measures.Period:
    if quarter:
        try:
            start, end = measures.quarter(quarter)
        except ValueError as exc:
            raise Invalid(str(exc), field="quarter") from None
    if start is None or end is None:
        raise Invalid("give a quarter, or both from and to", field="quarter")
    if end <= start:
        raise Invalid("to must be after from", field="to")
    return measures.Period.of_dates(start, end)


Q = Annotated[str | None, Query(max_length=9, description="e.g. 2026-27Q2 (financial) or 2026Q3 (calendar)")]
From = Annotated[IsoDate | None, Query(alias="from")]
To = Annotated[IsoDate | None, Query(alias="to")]
Force = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]


def flat(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


async def compute(
    deps: handlers.Deps, quarter: str | None, start: date | None, end: date | None, force: str | None
) -> dict[str, Any]:
    return await views.summary(deps.pool, period_of(quarter, start, end), force)


def as_csv(summary: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["measure", "value"])
    writer.writerows(flat(summary).items())
    return out.getvalue()


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/summary", tags=["insights"])
    async def summary(
        deps: Deps, _: Analyst, quarter: Q = None, start: From = None, end: To = None, force: Force = None
    ) -> dict[str, Any]:
        """Reports, arrests, charge rate, days to decide, convictions, unsuccessful outcomes by reason,
        closures by outcome code, restraining orders, notifications within the Victims' Code deadline."""
        return await compute(deps, quarter, start, end, force)

    @router.get("/v1/summary.csv", tags=["insights"])
    async def summary_csv(
        deps: Deps, _: Analyst, quarter: Q = None, start: From = None, end: To = None, force: Force = None
    ) -> Response:
        return PlainTextResponse(as_csv(await compute(deps, quarter, start, end, force)), media_type="text/csv")

    @router.get("/v1/status", tags=["insights"])
    async def status(deps: Deps, _: Analyst) -> dict[str, int]:
        return dataclasses.asdict(await views.status(deps.pool))

    @router.post("/admin/rebuild", tags=["ops"])
    async def rebuild(deps: Deps, _: Operator) -> dict[str, Any]:
        """Empty the projection (archived counts too) and its inbox; then replay the producers to rebuild it.

        Cases whose events the producers no longer keep (past their retention) are not counted again."""
        await handlers.rebuild(deps.uow(), deps.group_id)
        return {"emptied": True}

    @router.get("/ui/", include_in_schema=False)
    async def page(
        request: Request, deps: Deps, force: Force = None, year: int = Query(2026, ge=2000, le=2100)
    ) -> Response:
        who = web.session_principal(request)
        if who is None:
            return web.signin_redirect(request)
        if f"{who.agency}:{who.role}" not in ALLOWED:
            return HTMLResponse("<p>Not allowed for your agency or role.</p>", status_code=403)
        quarters = [f"{year}-{(year + 1) % 100:02d}Q{n}" for n in (1, 2, 3, 4)]
        sums = [await compute(deps, q, None, None, force) for q in quarters]
        return HTMLResponse(chart_page(quarters, sums, force, web.csrf_token(request)))

    return router


FUNNEL = ("reports", "arrests", "referrals_to_cps", "charged", "prosecutions_completed", "convictions")


def _bars(items: list[tuple[str, float | None]], width: int = 520) -> str:
    top = max((v or 0) for _, v in items) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        w = int(width * (value or 0) / top)
        rows.append(
            f"<text x=0 y={i * 34 + 20} font-size=14>{html.escape(label)}</text>"
            f"<rect x=220 y={i * 34 + 6} width={w} height=22 fill='#2b5ea8'/>"
            f"<text x={228 + w} y={i * 34 + 22} font-size=13>{'-' if value is None else value}</text>"
        )
    return f"<svg width={width + 320} height={len(items) * 34 + 10} role=img>{''.join(rows)}</svg>"


def chart_page(quarters: list[str], sums: list[dict[str, Any]], force: str | None, csrf: str) -> str:
    total = {k: sum((s.get(k) or 0) for s in sums) for k in FUNNEL}
    funnel = _bars([(k.replace("_", " "), total[k]) for k in FUNNEL])
    trend = "".join(
        f"<tr><td>{q}</td><td>{s.get('reports')}</td><td>{s.get('charge_rate')}</td><td>{s.get('conviction_rate')}</td>"
        f"<td>{s.get('victim_issue_share')}</td><td>{s['notifications']['share_within_deadline']}</td></tr>"
        for q, s in zip(quarters, sums, strict=True)
    )
    where = f"force {html.escape(force)}" if force else "all forces"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Whole Justice insights</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:1000px;margin:24px auto;color:#1b1f24}"
        "table{border-collapse:collapse}td,th{padding:6px 12px;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>Domestic abuse cases: {quarters[0][:7]} ({where})</h1><h2>Funnel, report to conviction</h2>{funnel}"
        "<h2>Trend by quarter</h2><table><tr><th>Quarter</th><th>Reports</th><th>Charge rate</th>"
        f"<th>Conviction rate</th><th>Victim-issue share</th><th>Told within deadline</th></tr>{trend}</table>"
        "<p>Counts of 1 to 4, and figures that would reveal one, are suppressed (shown as -).</p>"
        "<form method=post action=/ui/signout>"
        f"<input type=hidden name={web.CSRF_FIELD} value='{html.escape(csrf)}'><button>Sign out</button></form>"
        "</body></html>"
    )
