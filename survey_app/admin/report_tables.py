"""The institution report's tables (ranking, dimensions, questions, data quality, the change per unit) and
the small phrases they share, for :func:`survey_app.admin.report_text.compose`.

Called under ``flask_babel.force_locale`` like the rest of the report: every text goes through the gettext
catalogs and numbers are written for the report's language. Only the report's shown figures go in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext

from survey_app.domain.results.headline import Change, Headline
from survey_app.domain.results.questions import QuestionRow
from survey_app.domain.results.report import Report
from survey_app.reporting.numbers import compact, number, percent, share
from survey_app.reporting.report_blocks import Table


def _(text: str, **variables: Any) -> str:
    """``gettext`` typed as returning text."""
    return str(gettext(text, **variables))


def group_label(group: str) -> str:
    labels = {
        "internal": _("Employees (internal)"),
        "external": _("Service users (external)"),
        "expert": _("Experts"),
    }
    return str(labels.get(group, group))


def interval(low: float | None, high: float | None, lang: str) -> str:
    return f"{number(low, 1, lang)}–{number(high, 1, lang)}"


def change_text(change: Change | None, lang: str) -> str:
    if change is None:
        return "—"
    text = (
        f"{number(change.estimate, 1, lang, sign=True)} ({number(change.ci_low, 1, lang, sign=True)} "
        f"{_('to')} {number(change.ci_high, 1, lang, sign=True)})"
    )
    return text + " " + (_("significant") if change.significant else _("not significant"))


def reason_text(suppression: str | None, suppressed: bool, min_cell: int, since: int | None = None) -> str:
    """Why a cell shows no figure: too few respondents, withheld to protect another cell, changed too
    little since an earlier run (the change gate), or not published by the scoring rules."""
    if suppression == "complementary":
        return _("withheld to protect another cell")
    if suppression == "changed":
        if since is not None:
            return _("changed by fewer than %(k)s respondents since run #%(run)s", k=min_cell, run=since)
        return _("changed by fewer than %(k)s respondents since an earlier run", k=min_cell)
    if suppressed:
        return _("suppressed (fewer than %(k)s respondents)", k=min_cell)
    return _("not published")


def withheld_text(u: Headline, min_cell: int) -> str:
    return reason_text(u.suppression, u.suppressed, min_cell, u.changed_since)


def ranking_table(report: Report) -> Table:
    a, lang = report.answer, report.lang
    level = number(a.level * 100, 0, lang)
    header = [
        _("Rank"),
        _("Unit"),
        _("Index"),
        _("%(level)s%% confidence interval", level=level),
        _("Category"),
    ]
    widths = [1.1, 2.8, 0.9, 1.4, 1.3]
    if a.target is not None:
        header += [_("Gap to target %(target)s", target=compact(a.target, lang)), _("Chance of reaching it")]
        widths += [1.0, 1.1]
    if a.previous is not None:
        header.append(_("Change since %(previous)s", previous=a.previous.title))
        widths.append(1.9)
    header.append(_("Weakest dimension"))
    widths.append(2.4)
    rows = []
    for u in a.units:
        if not u.shown:
            rows.append(
                (
                    "",
                    u.name,
                    withheld_text(u, report.withheld.min_cell),
                    *([""] * (len(header) - 3)),
                )
            )
            continue
        category = (u.category_label or "—") + (" (" + _("uncertain") + ")" if u.uncertain else "")
        row = [
            str(u.rank or ""),
            u.name,
            number(u.estimate, 1, lang),
            f"{number(u.ci_low, 1, lang)}–{number(u.ci_high, 1, lang)}",
            category,
        ]
        if a.target is not None:
            row += [number(u.gap, 1, lang, sign=True), percent(u.probability, lang)]
        if a.previous is not None:
            row.append(change_text(u.change, lang))
        row.append(f"{u.weakest.label} ({number(u.weakest.estimate, 1, lang)})" if u.weakest else "—")
        rows.append(tuple(row))
    numeric = {0, 2} | ({5, 6} if a.target is not None else set())
    return Table(
        tuple(header),
        tuple(rows),
        tuple(widths),
        caption=_("Units ranked by index, lowest (highest risk) first"),
        numeric=frozenset(numeric),
        row_header=1,
    )


def dimension_table(report: Report) -> Table:
    a, lang = report.answer, report.lang
    level = number(a.level * 100, 0, lang)
    header = [_("Dimension"), _("Score"), _("%(level)s%% confidence interval", level=level), "n"]
    widths = [4.0, 1.0, 1.6, 0.8]
    if a.previous is not None:
        header.append(_("Change since %(previous)s", previous=a.previous.title))
        widths.append(2.6)
    rows = []
    for d in a.dimensions:
        if d.suppressed:
            row = [
                d.label,
                # A cell the scoring rules did not publish has no reason of disclosure control.
                reason_text(
                    d.suppression, d.suppression is not None, report.withheld.min_cell, d.changed_since
                ),
                "",
                "",
            ]
        else:
            row = [
                d.label,
                number(d.estimate, 1, lang),
                f"{number(d.ci_low, 1, lang)}–{number(d.ci_high, 1, lang)}",
                str(d.n or ""),
            ]
        if a.previous is not None:
            row.append(change_text(d.change, lang))
        rows.append(tuple(row))
    return Table(
        tuple(header),
        tuple(rows),
        tuple(widths),
        caption=_("Dimension scores of the institution as a whole (all respondent groups combined)"),
        numeric=frozenset({1, 3}),
    )


def question_table(
    rows: Sequence[QuestionRow], report: Report, caption: str, *, with_group: bool = False
) -> Table:
    """Question-level figures; ``with_group`` adds the respondent group (for rows of several groups)."""
    lang = report.lang
    body = []
    for q in rows:
        if q.suppressed:
            cells = (reason_text(q.suppression, True, report.withheld.min_cell, q.changed_since), "—")
        elif not q.published:
            cells = (_("not published"), str(q.n or "—"))
        else:
            answers = "; ".join(
                f"{a.label}: {share(a.estimate, lang)} ({interval(a.ci_low, a.ci_high, lang)})"
                for a in q.answers
            )
            cells = (answers, str(q.n))
        body.append((q.label, group_label(q.group), *cells) if with_group else (q.label, *cells))
    level = number(report.answer.level * 100, 0, lang)
    answers_header = _("Answers: share (%(level)s%% confidence interval)", level=level)
    if with_group:
        return Table(
            (_("Question"), _("Respondent group"), answers_header, "n"),
            tuple(body),
            (3.0, 1.2, 4.6, 0.6),
            caption=caption,
            numeric=frozenset({3}),
        )
    return Table(
        (_("Question"), answers_header, "n"),
        tuple(body),
        (3.2, 5.2, 0.6),
        caption=caption,
        numeric=frozenset({2}),
    )


def quality_text(check: str, value: float, threshold: float, lang: str) -> str:
    v, t = percent(value, lang), percent(threshold, lang)
    if check == "fast":
        return _(
            "%(share)s of respondents finished much faster than is plausible (threshold %(threshold)s).",
            share=v,
            threshold=t,
        )
    if check == "duplicate":
        return _(
            "%(share)s of respondents gave exactly the same answers as another respondent (threshold "
            "%(threshold)s).",
            share=v,
            threshold=t,
        )
    if check == "straightlining":
        return _(
            "%(share)s of respondents gave the same answer to every question of a block (threshold "
            "%(threshold)s).",
            share=v,
            threshold=t,
        )
    if check == "dont_know":
        return _(
            '%(share)s of the answers were "don\'t know" or "not applicable" (threshold %(threshold)s).',
            share=v,
            threshold=t,
        )
    if check == "low_variance":
        return _(
            "The answers are far more uniform than in comparable units, as if respondents had been coached."
        )
    return check


def unit_change_table(report: Report) -> Table | None:
    """The change of each unit's index since the previous campaign, with its interval and whether it is
    significant; ``None`` when there is no previous campaign.

    Made from the answer's shown figures only: a unit withheld in either campaign has no change (its
    current result is named withheld, the previous one is never shown), exactly as on the results page.
    """
    a, lang = report.answer, report.lang
    if a.previous is None:
        return None
    level = number(a.level * 100, 0, lang)
    before, now = a.previous.period, report.campaign.period
    if before == now:  # two rounds in one period: the titles tell them apart
        before, now = a.previous.title, report.campaign.title
    header = (
        _("Unit"),
        _("Index %(campaign)s", campaign=before),
        _("Index %(campaign)s", campaign=now),
        _("Change (points)"),
        _("%(level)s%% confidence interval of the change", level=level),
        _("Significant"),
    )

    def row(name: str, who: Headline) -> tuple[str, ...]:
        if not who.shown:
            return (name, "—", withheld_text(who, report.withheld.min_cell), "—", "—", "—")
        change = who.change
        if change is None:
            return (name, "—", number(who.estimate, 1, lang), "—", "—", _("no comparison"))
        return (
            name,
            number(change.previous_estimate, 1, lang),
            number(who.estimate, 1, lang),
            number(change.estimate, 1, lang, sign=True),
            f"{number(change.ci_low, 1, lang, sign=True)} {_('to')} "
            f"{number(change.ci_high, 1, lang, sign=True)}",
            _("yes") if change.significant else _("no"),
        )

    rows = []
    strong: set[int] = set()
    if a.institution is not None:
        rows.append(row(_("Institution as a whole"), a.institution))
        strong.add(0)
    rows += [row(u.name, u) for u in sorted(a.units, key=lambda u: u.name)]
    return Table(
        header,
        tuple(rows),
        (2.8, 1.2, 1.2, 1.0, 1.9, 1.1),
        caption=_("Change of each unit's index since %(previous)s", previous=a.previous.title),
        numeric=frozenset({1, 2, 3, 4}),
        strong_rows=frozenset(strong),
    )
