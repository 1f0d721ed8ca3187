"""Invitations in the console: issue in bulk and revoke by link.

The links are downloaded at once, as CSV or a printable PDF of QR cards: tokens are stored only hashed, so
this is the only moment they exist.
"""

from __future__ import annotations

import csv
import io
import zipfile

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from survey_app.admin.forms import ConsoleForm
from survey_app.admin.terms import GROUP_LABELS, error_text, invitation_state
from survey_app.domain.accounts import audit, campaign_for
from survey_app.domain.errors import DomainError
from survey_app.domain.invitations import IssuedBatch, issue_for_every_unit, issue_invitations
from survey_app.extensions import db
from survey_app.links import invitation_link, public_root
from survey_app.login import acting_user, requires_role
from survey_app.models import GROUPS, Campaign, Invitation
from survey_app.reporting.qrsheet import InvitationCard, invitation_sheet
from survey_app.tokens import token_hash

bp = Blueprint("admin_invitations", __name__, url_prefix="/admin/campaigns/<slug>/invitations")
MAX_AT_ONCE = 5000


class IssueForm(ConsoleForm):
    group = SelectField(lazy_gettext("Group"), validators=[DataRequired()])
    unit = SelectField(lazy_gettext("Unit"), validators=[DataRequired()])
    count = IntegerField(lazy_gettext("Number of invitations"), validators=[NumberRange(1, MAX_AT_ONCE)])
    fmt = RadioField(
        lazy_gettext("Download as"),
        choices=[SelectChoice("csv", "CSV"), SelectChoice("pdf", "PDF (QR)")],
        default="csv",
    )


#: Every unit at once: more than one request's worth of single downloads (36 units × 3 groups is 108).
BULK_PDF_MAX = 5000
BULK_CSV_MAX = 50000


class BulkForm(ConsoleForm):
    """Invitations for every unit at once: a number per group and unit."""

    internal = IntegerField(
        lazy_gettext("Employees (internal), per unit"),
        default=0,
        validators=[Optional(), NumberRange(0, MAX_AT_ONCE)],
    )
    external = IntegerField(
        lazy_gettext("Service users (external), per unit"),
        default=0,
        validators=[Optional(), NumberRange(0, MAX_AT_ONCE)],
    )
    expert = IntegerField(
        lazy_gettext("Experts, per unit"), default=0, validators=[Optional(), NumberRange(0, MAX_AT_ONCE)]
    )
    by_population = BooleanField(
        lazy_gettext("Employees: one invitation per person of each unit's population size, where it is known")
    )
    fmt = RadioField(
        lazy_gettext("Download as"),
        choices=[
            SelectChoice(
                "zip", lazy_gettext("ZIP with one PDF of QR cards per unit, and every link in a CSV")
            ),
            SelectChoice("csv", lazy_gettext("CSV of every link")),
        ],
        default="zip",
    )


class RevokeForm(ConsoleForm):
    link = StringField(lazy_gettext("Invitation link or token"), validators=[DataRequired()])
    # Revoking cannot be undone: the box is the confirmation step, checked on the server.
    confirm = BooleanField(
        lazy_gettext("I understand that a revoked link can never be used again."),
        validators=[DataRequired(message=lazy_gettext("Tick the box to confirm."))],
    )


def _forms(campaign: Campaign) -> tuple[IssueForm, RevokeForm]:
    issue = IssueForm(prefix="issue")
    # In the groups' own order (employees first), not alphabetical, which put "expert" first and chosen.
    groups = sorted((q.respondent_group for q in campaign.questionnaires), key=GROUPS.index)
    issue.group.choices = [SelectChoice(g, str(GROUP_LABELS[g])) for g in groups]
    issue.unit.choices = [SelectChoice(u.code, f"{u.code} – {u.name}") for u in campaign.institution.units]
    return issue, RevokeForm(prefix="revoke")


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def issue(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    form, revoke_form = _forms(campaign)
    if form.validate_on_submit():
        group, unit, count = form.group.data, form.unit.data, int(form.count.data or 0)
        try:
            tokens = issue_invitations(campaign, str(group), str(unit), count)
        except DomainError as exc:
            form.count.errors = [error_text(exc)]
        else:
            root = public_root(request.host_url)
            links = [invitation_link(root, token) for token in tokens]
            if form.fmt.data == "pdf":
                body: bytes = invitation_sheet(
                    # Unnumbered (and shuffled by the domain): a card's place says nothing about who got it.
                    [InvitationCard(link, str(unit), str(group)) for link in links],
                    title=campaign.title,
                    language=_language(),
                )
                mimetype, ext = "application/pdf", "pdf"
            else:
                text = io.StringIO()
                writer = csv.writer(text)
                writer.writerow(("campaign", "group", "unit", "link"))
                writer.writerows((slug, group, unit, link) for link in links)
                body, mimetype, ext = text.getvalue().encode("utf-8"), "text/csv; charset=utf-8", "csv"
            audit(
                "invitations.issue",
                f"campaign:{slug}",
                group=group,
                unit=unit,
                count=count,
                format=ext,
                user=acting_user(),
            )
            db.session.commit()
            name = f"{slug}-{group}-{unit}-invitations.{ext}"
            return Response(
                body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
            )
    return _page(campaign, form, revoke_form)


def _page(
    campaign: Campaign, form: IssueForm, revoke_form: RevokeForm, bulk_form: BulkForm | None = None
) -> ResponseReturnValue:
    bulk_form = bulk_form or _bulk_form(campaign)
    status = 400 if form.errors or revoke_form.errors or bulk_form.errors else 200
    return render_template(
        "admin/invitations.html",
        campaign=campaign,
        form=form,
        revoke_form=revoke_form,
        bulk_form=bulk_form,
        limit=MAX_AT_ONCE,
        units=len(campaign.institution.units),
    ), status


def _bulk_form(campaign: Campaign) -> BulkForm:
    form = BulkForm(prefix="bulk")
    asked = {q.respondent_group for q in campaign.questionnaires}
    for group in GROUPS:
        if group not in asked:
            del form[group]
    return form


def _links_csv(slug: str, root: str, batches: list[IssuedBatch]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(("campaign", "group", "unit", "link"))
    for batch in batches:
        for token in batch.tokens:
            writer.writerow((slug, batch.group, batch.unit_code, invitation_link(root, token)))
    return text.getvalue().encode("utf-8")


@bp.route("/bulk", methods=["POST"])
@requires_role("admin")
def bulk(slug: str) -> ResponseReturnValue:
    """Invitations for every unit and group at once: a ZIP with one PDF of cards per unit (all its groups)
    and a CSV of every link, or the CSV alone."""
    campaign = campaign_for(current_user, slug)
    form = _bulk_form(campaign)
    issue_form, revoke_form = _forms(campaign)
    if not form.validate_on_submit():
        return _page(campaign, issue_form, revoke_form, form)
    counts = {g: int(form[g].data or 0) for g in GROUPS if g in form}
    fmt = str(form.fmt.data)
    try:
        batches = issue_for_every_unit(
            campaign,
            counts,
            employees_by_population=bool(form.by_population.data),
            limit=BULK_PDF_MAX if fmt == "zip" else BULK_CSV_MAX,
        )
    except DomainError as exc:
        db.session.rollback()
        form.fmt.errors = [error_text(exc)]
        return _page(campaign, issue_form, revoke_form, form)
    root = public_root(request.host_url)
    links_csv = _links_csv(slug, root, batches)
    if fmt == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{slug}-invitations.csv", links_csv)
            for unit_code in dict.fromkeys(b.unit_code for b in batches):
                cards = [
                    InvitationCard(invitation_link(root, token), f"{b.unit_code} – {b.unit_name}", b.group)
                    for b in batches
                    if b.unit_code == unit_code
                    for token in b.tokens
                ]
                archive.writestr(
                    f"{slug}-{unit_code}-invitations.pdf",
                    invitation_sheet(cards, title=campaign.title, language=_language()),
                )
        body, mimetype, name = buffer.getvalue(), "application/zip", f"{slug}-invitations.zip"
    else:
        body, mimetype, name = links_csv, "text/csv; charset=utf-8", f"{slug}-invitations.csv"
    audit(
        "invitations.issue_bulk",
        f"campaign:{slug}",
        counts=counts,
        by_population=bool(form.by_population.data),
        units=len({b.unit_code for b in batches}),
        issued=sum(len(b.tokens) for b in batches),
        format=fmt,
        user=acting_user(),
    )
    db.session.commit()
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _language() -> str:
    return str(get_locale() or "id")


@bp.route("/revoke", methods=["POST"])
@requires_role("admin")
def revoke(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    issue_form, form = _forms(campaign)
    if not form.validate_on_submit():
        return _page(campaign, issue_form, form)
    token = (form.link.data or "").strip().rstrip("/").rsplit("/r/", 1)[-1]
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.token_hash == token_hash(token), Invitation.campaign_id == campaign.id
        )
    )
    if invitation is None:
        flash(_("No invitation of this campaign has this link."))
    elif invitation.state != "issued":
        flash(
            _("This invitation cannot be revoked: it is %(state)s.", state=invitation_state(invitation.state))
        )
    else:
        invitation.state = "revoked"
        audit("invitations.revoke", f"campaign:{slug}", invitation=invitation.id, user=acting_user())
        db.session.commit()
        flash(_("The invitation has been revoked."))
    return redirect(url_for(".issue", slug=slug))
