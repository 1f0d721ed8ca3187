"""The institution report's text: :func:`compose` turns a :class:`survey_app.domain.results.report.Report`
into :mod:`survey_app.reporting.report_blocks` for the PDF (:mod:`survey_app.reporting.report_pdf`) and the
HTML twin (``templates/admin/report.html``).

Every sentence goes through the gettext catalogs (call :func:`compose` under ``flask_babel.force_locale``);
numbers are written for the report's language (:mod:`survey_app.reporting.numbers`). The report holds only
published, shown figures (:func:`survey_app.domain.results.report.build_report`).
"""

from __future__ import annotations

from collections.abc import Mapping

from survey_app.admin.report_tables import (
    _,
    dimension_table,
    group_label,
    quality_text,
    question_table,
    ranking_table,
    unit_change_table,
)
from survey_app.domain.results.report import Report
from survey_app.reporting.numbers import compact, number, percent, rate
from survey_app.reporting.report_blocks import (
    Block,
    Bullets,
    Cover,
    Heading,
    Image,
    Paragraph,
    Scale,
    Table,
)


def summary_points(report: Report) -> list[str]:
    """The answer in plain words: the same points the results page leads with."""
    a, lang = report.answer, report.lang
    inst = a.institution
    level = number(a.level * 100, 0, lang)
    points: list[str] = []
    if inst is None or not inst.shown:
        return [_("The institution's index is withheld in this run.")]
    points.append(
        _(
            "%(name)s: index %(value)s (%(level)s%% confidence interval %(low)s–%(high)s), category "
            "%(category)s.",
            name=inst.name,
            value=number(inst.estimate, 1, lang),
            level=level,
            low=number(inst.ci_low, 1, lang),
            high=number(inst.ci_high, 1, lang),
            category=inst.category_label or "—",
        )
        + (
            " " + _("The interval crosses a category boundary, so the category is uncertain.")
            if inst.uncertain
            else ""
        )
    )
    if a.target is not None and inst.gap is not None:
        gap = (
            _(
                "Target %(target)s: the index is %(gap)s points above it.",
                target=compact(a.target, lang),
                gap=number(inst.gap, 1, lang),
            )
            if inst.gap >= 0
            else _(
                "Target %(target)s: the index is %(gap)s points below it.",
                target=compact(a.target, lang),
                gap=number(-inst.gap, 1, lang),
            )
        )
        chance = _(
            "Chance of reaching the target %(target)s: %(chance)s",
            target=compact(a.target, lang),
            chance=percent(inst.probability, lang),
        )
        points.append(f"{gap} {chance}.")
    else:
        points.append(
            _("No target is set for this campaign, so there is no gap or chance of reaching it to show.")
        )
    if inst.change is not None:
        points.append(
            _(
                "Change since %(previous)s: %(change)s points (%(level)s%% confidence interval %(low)s to "
                "%(high)s).",
                previous=inst.change.previous_title,
                change=number(inst.change.estimate, 1, lang, sign=True),
                level=level,
                low=number(inst.change.ci_low, 1, lang, sign=True),
                high=number(inst.change.ci_high, 1, lang, sign=True),
            )
            + " "
            + (
                _("The change is significant.")
                if inst.change.significant
                else _("The change is not significant: it may be chance.")
            )
        )
    elif a.previous is not None:
        points.append(
            _(
                "The change since %(previous)s cannot be shown: one of the two results is withheld.",
                previous=a.previous.title,
            )
        )
    else:
        points.append(_("No earlier campaign of this institution has results to compare with."))
    if a.national is not None and inst.estimate is not None:
        gap_n = inst.estimate - a.national.value
        args = {"year": a.national.year, "value": compact(a.national.value, lang)}
        points.append(
            _(
                "National index %(year)s (KPK): %(value)s; this institution is %(gap)s points above it.",
                gap=number(gap_n, 1, lang),
                **args,
            )
            if gap_n >= 0
            else _(
                "National index %(year)s (KPK): %(value)s; this institution is %(gap)s points below it.",
                gap=number(-gap_n, 1, lang),
                **args,
            )
        )
    if inst.weakest is not None:
        points.append(
            _(
                "Weakest dimension: %(dimension)s (%(value)s).",
                dimension=inst.weakest.label,
                value=number(inst.weakest.estimate, 1, lang),
            )
        )
    if a.target is not None and a.units_shown:
        points.append(
            _(
                "%(below)s of %(n)s units are below the target %(target)s (%(clearly)s of them clearly: "
                "their "
                "whole interval lies below it).",
                below=a.below_target,
                n=a.units_shown,
                target=compact(a.target, lang),
                clearly=a.clearly_below_target,
            )
        )
    return points


def compose(report: Report, charts: Mapping[str, tuple[bytes, str]]) -> list[Block]:
    """The report's blocks; ``charts`` maps ``forest``, ``heatmap``, ``trend`` to ``(png, alt text)``."""
    a, lang = report.answer, report.lang
    inst = a.institution
    campaign = report.campaign
    level = number(a.level * 100, 0, lang)
    blocks: list[Block] = []

    # Cover
    scale = None
    if inst is not None and inst.shown and inst.estimate is not None:
        marks = []
        if a.target is not None:
            marks.append((a.target, _("Target %(target)s", target=compact(a.target, lang))))
        if a.national is not None:
            marks.append(
                (
                    a.national.value,
                    _(
                        "National %(year)s: %(value)s",
                        year=a.national.year,
                        value=compact(a.national.value, lang),
                    ),
                )
            )
        bands = tuple((c.lower, c.upper, str(c.label.get(lang) or c.id)) for c in report.profile.categories)
        scale = Scale(
            inst.estimate,
            inst.ci_low or inst.estimate,
            inst.ci_high or inst.estimate,
            bands,
            tuple(marks),
            _(
                "The index (dot) with its %(level)s%% confidence interval (bar) on the scale 0–100.",
                level=level,
            ),
        )
    lines = []
    if a.target is not None and inst is not None and inst.shown:
        lines.append(
            _(
                "Chance of reaching the target %(target)s: %(chance)s",
                target=compact(a.target, lang),
                chance=percent(inst.probability, lang),
            )
        )
    if a.national is not None:
        lines.append(
            _(
                "National index %(year)s (KPK): %(value)s",
                year=a.national.year,
                value=compact(a.national.value, lang),
            )
        )
    published = report.run.published_at
    lines.append(
        _(
            "Results run %(run)s, published on %(date)s.",
            run=report.run.id,
            date=published.strftime("%Y-%m-%d") if published else "—",
        )
    )
    blocks.append(
        Cover(
            kicker=_("Integrity Assessment Survey"),
            title=campaign.institution.name,
            subtitle=f"{campaign.title} · {campaign.period}",
            figure=number(inst.estimate, 1, lang) if inst is not None and inst.shown else "—",
            figure_caption=(
                _("Integrity index (0–100), category %(category)s", category=inst.category_label or "—")
                if inst is not None and inst.shown
                else _("The institution's index is withheld in this run.")
            ),
            scale=scale,
            lines=tuple(lines),
        )
    )

    # Summary
    blocks.append(Heading(_("Summary"), new_page=True))
    blocks.append(
        Paragraph(
            _(
                "What the survey says, in brief. Every figure is an estimate from a sample: the "
                "confidence interval is the range within which the true value lies with %(level)s%% "
                "confidence.",
                level=level,
            )
        )
    )
    blocks.append(Bullets(tuple(summary_points(report))))
    if report.risks:
        blocks.append(
            Paragraph(_("High-risk areas, each with a section and a recommendation below:"), emphasis=True)
        )
        blocks.append(
            Bullets(
                tuple(
                    (
                        _(
                            "Dimension: %(dimension)s (%(value)s)",
                            dimension=r.dimension_label,
                            value=number(r.estimate, 1, lang),
                        )
                        if r.kind == "dimension"
                        else _(
                            "Unit: %(unit)s (index %(value)s), weakest in %(dimension)s",
                            unit=r.unit.name if r.unit else "",
                            value=number(r.unit.estimate if r.unit else None, 1, lang),
                            dimension=r.dimension_label,
                        )
                    )
                    for r in report.risks
                )
            )
        )
    if a.units:
        blocks.append(ranking_table(report))

    # Method
    blocks.append(Heading(_("How the survey was done"), new_page=True))
    sample_rows = []
    for s in report.samples:
        # Where the group's respondents are withheld, the counts of answers would give their n back.
        withheld = s.respondents is None
        sample_rows.append(
            (
                group_label(s.group),
                str(s.respondents) if s.respondents is not None else "—",
                str(s.invited),
                "—" if withheld else str(s.answered_invitations),
                "—" if withheld else rate(s.response_rate, lang),
                "—" if withheld else str(s.open_responses),
            )
        )
    blocks.append(
        Table(
            (
                _("Respondent group"),
                _("Respondents in the results"),
                _("Invitations"),
                _("Invitations answered"),
                _("Response rate"),
                _("Open-link responses"),
            ),
            tuple(sample_rows),
            (2.6, 1.4, 1.2, 1.3, 1.1, 1.3),
            caption=_("Sample and response"),
            numeric=frozenset({1, 2, 3, 4, 5}),
        )
    )
    weights = ", ".join(
        f"{group_label(g)} {number(w * 100, 0, lang)}{' %' if lang == 'id' else '%'}"
        for g, w in report.method["group_weights"].items()
    )
    method_points = [
        _(
            "Respondents were drawn at random from each unit's lists of employees, service users and "
            "experts; "
            "every answer counts with its sampling weight (the number of people it stands for). Answers "
            "through "
            "an open link (a QR code at a counter) were not sampled and count with weight 1."
        ),
        _(
            "The index combines the respondent groups with the weights of the scoring profile %(profile)s: "
            "%(weights)s.",
            profile=report.method["profile_title"],
            weights=weights,
        ),
        (
            _(
                "Confidence intervals (%(level)s%%) come from the survey design (strata by unit, finite "
                "population "
                "correction for employees), by Taylor linearization.",
                level=level,
            )
            if report.method["variance_method"] == "linearization"
            else _(
                "Confidence intervals (%(level)s%%) come from the survey design (strata by unit) by the "
                "bootstrap.",
                level=level,
            )
        ),
        _(
            "A change is called significant when its %(level)s%% confidence interval does not include 0.",
            level=level,
        ),
        _(
            "Results of fewer than %(k)s respondents are never shown (%(primary)s cells in this report); "
            "where a "
            "withheld result could be worked out from the others and the total, one more is withheld "
            "(%(complementary)s cells). A group's result is published from %(m)s respondents on; "
            "%(unpublished)s "
            "cells had fewer.",
            k=report.withheld.min_cell,
            primary=report.withheld.primary,
            complementary=report.withheld.complementary,
            m=report.withheld.min_respondents,
            unpublished=report.withheld.not_published,
        ),
        _(
            "Computed from %(n)s responses with profile %(profile)s, software %(version)s; the same data "
            "give the "
            "same figures.",
            n=report.method["responses_read"],
            profile=report.method["profile_id"],
            version=report.method["software_version"],
        ),
    ]
    blocks.append(Bullets(tuple(method_points)))

    # Results by unit and dimension
    blocks.append(Heading(_("Results by unit and dimension"), new_page=True))
    if "forest" in charts:
        blocks.append(Image(charts["forest"][0], charts["forest"][1], 0.95, "forest"))
    blocks.append(dimension_table(report))
    if "heatmap" in charts:
        blocks.append(Image(charts["heatmap"][0], charts["heatmap"][1], 0.95, "heatmap"))

    # Trend
    blocks.append(Heading(_("Trend across campaigns"), new_page=True))
    if len(report.trend) >= 2:
        if "trend" in charts:
            blocks.append(Image(charts["trend"][0], charts["trend"][1], 0.85, "trend"))
        blocks.append(
            Table(
                (_("Campaign"), _("Period"), _("Index"), _("%(level)s%% confidence interval", level=level)),
                tuple(
                    (
                        t.title,
                        t.period,
                        number(t.estimate, 1, lang),
                        f"{number(t.ci_low, 1, lang)}–{number(t.ci_high, 1, lang)}"
                        if t.estimate is not None
                        else "—",
                    )
                    for t in report.trend
                ),
                (4.0, 1.0, 1.0, 1.6),
                caption=_("The institution's index by campaign"),
                numeric=frozenset({2}),
            )
        )
    else:
        blocks.append(
            Paragraph(
                _(
                    "This is the institution's first campaign with published results; the trend "
                    "starts with the next one."
                )
            )
        )
    changes = unit_change_table(report)
    if changes is not None:
        blocks.append(
            Paragraph(
                _(
                    "The change of each unit since the previous campaign. A change is shown only where both "
                    "campaigns publish the unit's result; it is significant when its confidence interval "
                    "does not include 0."
                )
            )
        )
        blocks.append(changes)

    # High-risk areas
    blocks.append(Heading(_("High-risk areas and recommendations"), new_page=True))
    blocks.append(
        Paragraph(
            _(
                "The weakest dimensions of the institution and the weakest units (below the target, "
                "or the weakest one), each with what the scoring profile recommends."
            )
        )
    )
    for r in report.risks:
        if r.kind == "dimension":
            blocks.append(Heading(_("Dimension: %(dimension)s", dimension=r.dimension_label), level=2))
            blocks.append(
                Paragraph(
                    _(
                        "Score of the institution: %(value)s (%(level)s%% confidence interval "
                        "%(low)s–%(high)s).",
                        value=number(r.estimate, 1, lang),
                        level=level,
                        low=number(r.ci_low, 1, lang),
                        high=number(r.ci_high, 1, lang),
                    )
                )
            )
            caption = _("Questions on %(dimension)s, the institution as a whole", dimension=r.dimension_label)
        else:
            name = r.unit.name if r.unit else ""
            blocks.append(Heading(_("Unit: %(unit)s", unit=name), level=2))
            blocks.append(
                Paragraph(
                    _(
                        "Index %(value)s; weakest dimension %(dimension)s with %(score)s.",
                        value=number(r.unit.estimate if r.unit else None, 1, lang),
                        dimension=r.dimension_label,
                        score=number(r.estimate, 1, lang),
                    )
                )
            )
            caption = _("Questions on %(dimension)s in %(unit)s", dimension=r.dimension_label, unit=name)
        if r.recommendation:
            blocks.append(Paragraph(r.recommendation, label=_("Recommendation")))
        if r.questions:
            several = len({q.group for q in r.questions}) > 1
            blocks.append(question_table(r.questions, report, caption, with_group=several))

    # Data quality
    blocks.append(Heading(_("Data quality"), new_page=True))
    if report.quality:
        blocks.append(
            Paragraph(
                _(
                    "Checks of the answers found the following. Results with such flags are still "
                    "counted, but should be read with care: they may point to coached respondents."
                )
            )
        )
        blocks.append(
            Table(
                (_("Unit"), _("Respondent group"), _("Finding")),
                tuple(
                    (q.unit_name, group_label(q.group), quality_text(q.check, q.value, q.threshold, lang))
                    for q in report.quality
                ),
                (2.6, 1.6, 5.0),
                caption=_("Data-quality flags"),
            )
        )
    else:
        blocks.append(
            Paragraph(
                _(
                    "The checks of the answers (speed, identical answers, the same answer "
                    "throughout, uniform units) found nothing to flag among the results shown."
                )
            )
        )

    # Questions
    blocks.append(Heading(_("Answers to each question"), new_page=True))
    blocks.append(
        Paragraph(
            _(
                "Share of respondents who gave each answer, among those who answered the question, "
                "with its %(level)s%% confidence interval; the institution as a whole.",
                level=level,
            )
        )
    )
    for group in dict.fromkeys(q.group for q in report.questions):
        rows = [q for q in report.questions if q.group == group]
        blocks.append(question_table(rows, report, _("Respondent group") + ": " + group_label(group)))
    return blocks
