"""The institution report's content, from a published run: the answer (:mod:`.headline`), the method (sample,
response rates, design, what was withheld and why), results by unit and dimension, question-level figures,
data-quality notes, the trend and the high-risk areas with the profile's recommendations.

Only figures of :func:`survey_app.domain.results.rows.shown_tables` go in, so the report withholds what the
console and downloads withhold; data-quality notes are given only for cells whose results are shown. The
PDF and HTML renderings are :mod:`survey_app.reporting.report_pdf` and ``templates/admin/report.html``;
this module holds no text of its own but the questionnaire's and the profile's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from questionnaires.model import Questionnaire
from questionnaires.profile import ScoringProfile
from survey_app.domain.disclosure import COMPLEMENTARY, PRIMARY, effective_min_cell
from survey_app.domain.errors import NotFoundError
from survey_app.domain.questionnaires import campaign_versions
from survey_app.domain.results.headline import Answer, Headline, answer
from survey_app.domain.results.questions import QuestionRow, question_rows
from survey_app.domain.results.rows import shown_tables, trend_rows
from survey_app.domain.results.runs import campaign_profile, table_of
from survey_app.extensions import db
from survey_app.models import Campaign, Invitation, Response, ScoreRun

#: At most this many dimensions and units get a high-risk section each.
MAX_RISK_AREAS = 3


@dataclass(frozen=True)
class GroupSample:
    group: str
    #: Respondents in the results (the institution's group cell), ``None`` where withheld.
    respondents: int | None
    invited: int
    answered_invitations: int
    open_responses: int

    @property
    def response_rate(self) -> float | None:
        return self.answered_invitations / self.invited if self.invited else None


@dataclass(frozen=True)
class Withheld:
    min_cell: int
    min_respondents: int
    primary: int
    complementary: int
    not_published: int


@dataclass(frozen=True)
class QualityNote:
    unit: str
    unit_name: str
    group: str
    check: str
    value: float
    threshold: float


@dataclass(frozen=True)
class TrendPoint:
    title: str
    period: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    current: bool


@dataclass(frozen=True)
class RiskArea:
    """A high-risk area: a weak dimension of the institution, or a weak unit (at its weakest dimension)."""

    kind: str  # "dimension" or "unit"
    unit: Headline | None
    dimension: str
    dimension_label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    recommendation: str
    questions: tuple[QuestionRow, ...]


@dataclass(frozen=True)
class Report:
    campaign: Campaign
    run: ScoreRun
    lang: str
    profile: ScoringProfile
    answer: Answer
    generated_at: datetime
    samples: tuple[GroupSample, ...]
    withheld: Withheld
    method: dict[str, Any]
    questions: tuple[QuestionRow, ...]
    quality: tuple[QualityNote, ...]
    trend: tuple[TrendPoint, ...]
    risks: tuple[RiskArea, ...]


def _text(text: Any, lang: str) -> str:
    if not text:
        return ""
    return str(text.get(lang) or next(iter(text.values())))


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _samples(campaign: Campaign, tables: dict[str, pd.DataFrame]) -> list[GroupSample]:
    invited = dict(
        db.session.execute(
            select(Invitation.respondent_group, func.count())
            .where(Invitation.campaign_id == campaign.id, Invitation.state != "revoked")
            .group_by(Invitation.respondent_group)
        ).all()
    )
    spent = dict(
        db.session.execute(
            select(Invitation.respondent_group, func.count())
            .where(Invitation.campaign_id == campaign.id, Invitation.state == "spent")
            .group_by(Invitation.respondent_group)
        ).all()
    )
    opened = dict(
        db.session.execute(
            select(Response.respondent_group, func.count())
            .where(Response.campaign_id == campaign.id, Response.open_access.is_(True))
            .group_by(Response.respondent_group)
        ).all()
    )
    totals = tables.get("overall_groups", pd.DataFrame(columns=["group", "n"]))
    counted = {str(r["group"]): r["n"] for r in totals.to_dict(orient="records")}
    out = []
    for link in campaign.questionnaires:
        group = link.respondent_group
        n = counted.get(group)
        out.append(
            GroupSample(
                group=group,
                respondents=None if n is None or pd.isna(n) else int(n),
                invited=int(invited.get(group, 0)),
                answered_invitations=int(spent.get(group, 0)),
                open_responses=int(opened.get(group, 0)),
            )
        )
    return out


def _withheld(tables: dict[str, pd.DataFrame], min_cell: int, profile: ScoringProfile) -> Withheld:
    primary = complementary = not_published = 0
    for frame in tables.values():
        if "suppression" not in frame.columns:
            continue
        if "answer" in frame.columns:
            # A question's answers are withheld together: count the question once.
            frame = frame.drop_duplicates(
                [c for c in frame.columns if c in ("unit", "institution", "group", "item")]
            )
        reason = frame["suppression"]
        primary += int((reason == PRIMARY).sum())
        complementary += int((reason == COMPLEMENTARY).sum())
        if "estimate" in frame.columns:
            not_published += int((reason.isna() & frame["estimate"].isna()).sum())
    return Withheld(min_cell, profile.min_respondents_per_group, primary, complementary, not_published)


def _quality(run: ScoreRun, tables: dict[str, pd.DataFrame], names: dict[str, str]) -> list[QualityNote]:
    if "quality_flags" not in run.results:
        return []
    flags = table_of(run, "quality_flags")
    groups = tables.get("groups")
    if flags.empty or groups is None:
        return []
    shown = {
        (str(r["unit"]), str(r["group"]))
        for r in groups.to_dict(orient="records")
        if not r.get("suppressed") and r.get("n") is not None and not pd.isna(r.get("n"))
    }
    out = []
    for r in flags.to_dict(orient="records"):
        key = (str(r.get("unit")), str(r.get("group")))
        if key in shown:
            out.append(
                QualityNote(
                    key[0],
                    names.get(key[0], key[0]),
                    key[1],
                    str(r["check"]),
                    float(r["value"]),
                    float(r["threshold"]),
                )
            )
    return out


def _trend(campaign: Campaign, role: str) -> list[TrendPoint]:
    points = []
    for other, run in trend_rows(campaign, role):
        if "overall" not in run.results:
            continue
        table = shown_tables(other, run)["overall"]
        if table.empty:
            continue
        row = table.iloc[0]
        points.append(
            TrendPoint(
                other.title,
                other.period,
                _float(row.get("estimate")),
                _float(row.get("ci_low")),
                _float(row.get("ci_high")),
                other.id == campaign.id,
            )
        )
    return points


def dimension_of_items(questionnaires: Sequence[Questionnaire]) -> dict[tuple[str, str], str]:
    """``(group, item id)`` → the dimension the item is scored in."""
    out = {}
    for q in questionnaires:
        for item in q.iter_items():
            if item.scoring is not None:
                out[(q.group.value, item.id)] = item.scoring.dimension
    return out


def _risks(
    summary: Answer,
    profile: ScoringProfile,
    lang: str,
    institution_questions: list[QuestionRow],
    unit_questions: dict[str, list[QuestionRow]],
    dims_of: dict[tuple[str, str], str],
    dim_table: pd.DataFrame,
) -> list[RiskArea]:
    """The weakest dimensions of the institution and the weakest units: those below the target (or, with
    no target, in the lowest category), at most :data:`MAX_RISK_AREAS` of each, and always the weakest."""
    lowest_band = profile.categories[0].upper if profile.categories else None
    threshold = summary.target if summary.target is not None else lowest_band

    def weak(estimate: float | None) -> bool:
        return estimate is not None and threshold is not None and estimate < threshold

    def recommendation(dimension: str) -> str:
        try:
            return _text(profile.dimension(dimension).recommendation, lang)
        except KeyError:
            return ""

    out: list[RiskArea] = []
    dims = sorted((d for d in summary.dimensions if d.estimate is not None), key=lambda d: d.estimate or 0.0)
    chosen = [d for d in dims if weak(d.estimate)][:MAX_RISK_AREAS] or dims[:1]
    for d in chosen:
        out.append(
            RiskArea(
                "dimension",
                None,
                d.dimension,
                d.label,
                d.estimate,
                d.ci_low,
                d.ci_high,
                recommendation(d.dimension),
                tuple(q for q in institution_questions if dims_of.get((q.group, q.item)) == d.dimension),
            )
        )
    units = [u for u in summary.units if u.shown]  # already lowest first
    picked = [u for u in units if weak(u.estimate)][:MAX_RISK_AREAS] or units[:1]
    for u in picked:
        if u.weakest is None or u.unit is None:
            continue
        mine = dim_table.loc[
            (dim_table["unit"].astype(str) == u.unit)
            & (dim_table["group"] == "all")
            & (dim_table["dimension"] == u.weakest.dimension)
        ]
        row = mine.iloc[0] if len(mine) else None
        out.append(
            RiskArea(
                "unit",
                u,
                u.weakest.dimension,
                u.weakest.label,
                u.weakest.estimate,
                None if row is None else _float(row.get("ci_low")),
                None if row is None else _float(row.get("ci_high")),
                recommendation(u.weakest.dimension),
                tuple(
                    q
                    for q in unit_questions.get(u.unit, [])
                    if dims_of.get((q.group, q.item)) == u.weakest.dimension
                ),
            )
        )
    return out


def build_report(campaign: Campaign, run: ScoreRun, lang: str, *, now: datetime) -> Report:
    """The report of published ``run`` in ``lang``; :class:`NotFoundError` for a run that is not published
    (a report is handed out, so it holds only what viewers may see)."""
    if run.published_at is None or run.campaign_id != campaign.id:
        raise NotFoundError(f"run {run.id} of campaign {campaign.slug!r} is not published")
    role = "viewer"
    profile = campaign_profile(campaign)
    tables = shown_tables(campaign, run)
    min_cell = effective_min_cell(campaign, run)
    summary = answer(campaign, run, role, lang)
    questionnaires = [q for _, q in campaign_versions(campaign)]
    names = {u.code: u.name for u in campaign.institution.units}
    institution_questions = question_rows(
        tables.get("overall_questions", pd.DataFrame()),
        questionnaires,
        lang,
        where="institution",
        place=campaign.institution.code,
    )
    unit_questions = {
        u.unit: question_rows(
            tables.get("questions", pd.DataFrame()), questionnaires, lang, where="unit", place=u.unit
        )
        for u in summary.units
        if u.unit is not None
    }
    dim_table = tables.get("dimensions", pd.DataFrame(columns=["unit", "group", "dimension", "estimate"]))
    method = {
        "variance_method": campaign.variance_method,
        "use_fpc": campaign.use_fpc,
        "level": summary.level,
        "group_weights": {g.value: w for g, w in profile.group_weights.items()},
        "profile_title": _text(profile.title, lang),
        "profile_id": f"{profile.id} {profile.version}",
        "responses_read": run.responses_read,
        "questionnaires": [f"{q.id} {q.version}" for q in questionnaires],
        "software_version": run.software_version,
    }
    return Report(
        campaign=campaign,
        run=run,
        lang=lang,
        profile=profile,
        answer=summary,
        generated_at=now,
        samples=tuple(_samples(campaign, tables)),
        withheld=_withheld(tables, min_cell, profile),
        method=method,
        questions=tuple(institution_questions),
        quality=tuple(_quality(run, tables, names)),
        trend=tuple(_trend(campaign, role)),
        risks=tuple(
            _risks(
                summary,
                profile,
                lang,
                institution_questions,
                unit_questions,
                dimension_of_items(questionnaires),
                dim_table,
            )
        ),
    )
