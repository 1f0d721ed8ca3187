"""Institutions and their units in the console: list, create, edit, import from CSV (admins).

Population sizes per unit (number of employees) feed the finite population correction of results. An admin
scoped to some institutions manages only those; new institutions are created by admins of all institutions
(or by importing a CSV, which for a scoped admin may only touch their institutions).
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from survey_app.admin.forms import ConsoleForm
from survey_app.admin.paging import ListPage, search_text
from survey_app.admin.terms import error_text
from survey_app.domain.accounts import audit, institutions_in_scope, scope_institution_ids
from survey_app.domain.errors import N_, DomainError
from survey_app.domain.institutions import UNIT_COLUMNS, import_units
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import Institution, Unit

bp = Blueprint("admin_institutions", __name__, url_prefix="/admin/institutions")
UNITS_PER_PAGE = 50

CODE = Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", message=lazy_gettext("Letters, digits, '-', '_' and '.' only.")
)


class InstitutionForm(ConsoleForm):
    code = StringField(lazy_gettext("Code"), validators=[DataRequired(), Length(max=64), CODE])
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=255)])


class UnitForm(ConsoleForm):
    code = StringField(lazy_gettext("Code"), validators=[DataRequired(), Length(max=64), CODE])
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=255)])
    parent = SelectField(lazy_gettext("Part of"))
    population_size = IntegerField(
        lazy_gettext("Population size (employees; optional)"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
    )


class ImportForm(ConsoleForm):
    csv_file = FileField(lazy_gettext("CSV file"), validators=[FileRequired()])


def _in_scope(institution: Institution) -> bool:
    ids = scope_institution_ids(current_user)
    return ids is None or institution.id in ids


def _institution(code: str) -> Institution:
    institution = db.session.scalar(select(Institution).where(Institution.code == code))
    if institution is None or not _in_scope(institution):
        abort(404)
    return institution


@bp.route("/")
@requires_role("admin")
def index() -> ResponseReturnValue:
    return render_template(
        "admin/institutions.html",
        institutions=institutions_in_scope(current_user),
        may_create=current_user.all_institutions,
        import_form=ImportForm(),
        columns=UNIT_COLUMNS,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires_role("admin")
def create() -> ResponseReturnValue:
    if not current_user.all_institutions:
        abort(403)
    form = InstitutionForm()
    if form.validate_on_submit():
        code = str(form.code.data).strip()
        if db.session.scalar(select(Institution.id).where(Institution.code == code)) is not None:
            form.code.errors = [_("An institution with this code exists already.")]
        else:
            institution = Institution(code=code, name=str(form.name.data).strip())
            db.session.add(institution)
            db.session.flush()
            audit("institution.create", f"institution:{code}", name=institution.name, user=acting_user())
            db.session.commit()
            flash(_("The institution has been created. Add its units next."))
            return redirect(url_for(".show", code=code))
    return render_template("admin/institution_form.html", form=form, institution=None), (
        400 if form.errors else 200
    )


@bp.route("/<code>", methods=["GET", "POST"])
@requires_role("admin")
def show(code: str) -> ResponseReturnValue:
    """The institution's units, and its name (editable)."""
    institution = _institution(code)
    form = InstitutionForm(obj=institution)
    form.code.data = institution.code  # the code is fixed: campaigns and imports refer to it
    if form.validate_on_submit():
        institution.name = str(form.name.data).strip()
        audit("institution.edit", f"institution:{code}", name=institution.name, user=acting_user())
        db.session.commit()
        flash(_("Saved."))
        return redirect(url_for(".show", code=code))
    search = search_text()
    tree = _tree(institution)
    if search:
        # A match is listed flat (with the unit it is part of), not indented under parents left out.
        needle = search.casefold()
        tree = [(0, u) for _, u in tree if needle in u.code.casefold() or needle in u.name.casefold()]
    units = ListPage(tree, UNITS_PER_PAGE)
    return render_template(
        "admin/institution.html", institution=institution, form=form, units=units, search=search
    ), (400 if form.errors else 200)


def _tree(institution: Institution) -> list[tuple[int, Unit]]:
    """Units in tree order with their depth."""
    children: dict[int | None, list[Unit]] = {}
    for unit in institution.units:
        children.setdefault(unit.parent_id, []).append(unit)
    out: list[tuple[int, Unit]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.code):
            out.append((depth, unit))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def _unit_form(institution: Institution, unit: Unit | None) -> UnitForm:
    form = UnitForm(obj=unit) if unit is not None and request.method == "GET" else UnitForm()
    excluded = _descendants(unit) if unit is not None else set()
    form.parent.choices = [SelectChoice("", _("— top level —"))] + [
        SelectChoice(str(u.id), f"{u.code} – {u.name}") for u in institution.units if u.id not in excluded
    ]
    if unit is not None and request.method == "GET":
        form.parent.data = str(unit.parent_id or "")
    return form


def _descendants(unit: Unit) -> set[int]:
    """The unit and everything under it: none of them can become its parent (no cycles)."""
    found = {unit.id}
    frontier = [unit]
    while frontier:
        current = frontier.pop()
        for child in current.children:
            if child.id not in found:
                found.add(child.id)
                frontier.append(child)
    return found


@bp.route("/<code>/units/new", methods=["GET", "POST"], defaults={"unit_code": None})
@bp.route("/<code>/units/<unit_code>", methods=["GET", "POST"])
@requires_role("admin")
def unit(code: str, unit_code: str | None) -> ResponseReturnValue:
    institution = _institution(code)
    existing = None
    if unit_code is not None:
        existing = next((u for u in institution.units if u.code == unit_code), None)
        if existing is None:
            abort(404)
    form = _unit_form(institution, existing)
    if form.validate_on_submit():
        new_code = str(form.code.data).strip()
        clash = next((u for u in institution.units if u.code == new_code and u is not existing), None)
        if clash is not None:
            form.code.errors = [_("This institution has a unit with this code already.")]
        else:
            target = existing or Unit(institution=institution)
            if existing is None:
                db.session.add(target)
            target.code = new_code
            target.name = str(form.name.data).strip()
            target.parent_id = int(form.parent.data) if form.parent.data else None
            target.population_size = form.population_size.data
            db.session.flush()
            audit(
                "unit.edit" if existing else "unit.create",
                f"institution:{code}",
                unit=target.code,
                parent=target.parent_id,
                population_size=target.population_size,
                user=acting_user(),
            )
            db.session.commit()
            flash(_("Saved."))
            return redirect(url_for(".show", code=code))
    return render_template("admin/unit_form.html", form=form, institution=institution, unit=existing), (
        400 if form.errors else 200
    )


@bp.route("/import", methods=["POST"])
@requires_role("admin")
def import_csv() -> ResponseReturnValue:
    """Institutions and units from CSV, all or nothing; every problem is reported with its line."""
    form = ImportForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV file to import."))
        return redirect(url_for(".index"))
    upload = form.csv_file.data
    name = getattr(upload, "filename", None) or "CSV"
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("%(name)s is not UTF-8 text: save it as 'CSV UTF-8' and try again.", name=name))
        return redirect(url_for(".index"))
    try:
        _check_scope(text)
        summary = import_units(io.StringIO(text, newline=""), name)
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(problem)s", problem=error_text(exc)))
        return redirect(url_for(".index"))
    audit(
        "institution.import",
        name,
        institutions=summary.institutions,
        units_created=summary.units_created,
        units_updated=summary.units_updated,
        user=acting_user(),
    )
    db.session.commit()
    flash(
        _(
            "Imported: %(i)s new institution(s), %(c)s new unit(s), %(u)s unit(s) updated.",
            i=summary.institutions,
            c=summary.units_created,
            u=summary.units_updated,
        )
    )
    return redirect(url_for(".index"))


def _check_scope(text: str) -> None:
    """A scoped admin's CSV may only touch their own institutions."""
    ids = scope_institution_ids(current_user)
    if ids is None:
        return
    codes = {row.get("institution_code", "").strip() for row in csv.DictReader(io.StringIO(text))}
    allowed = set(db.session.scalars(select(Institution.code).where(Institution.id.in_(ids))))
    outside = sorted(codes - allowed)
    if outside:
        raise DomainError(N_("institution(s) outside your scope: %(codes)s"), codes=", ".join(outside))
