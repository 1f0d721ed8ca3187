"""Questionnaire versions in the console (admins): list, upload (YAML or XLSForm), preview, compare versions.

An upload goes through the same validator and importer as ``flask questionnaire validate|load`` and is stored
by the same :func:`survey_app.domain.questionnaires.store_questionnaire`, so console and CLI cannot disagree
about what is valid. Versions are shared by all institutions (a campaign of any institution may use any
version), so every admin may load one; the campaigns and response counts shown are those in the admin's scope
only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from sqlalchemy import func, select
from werkzeug.utils import secure_filename
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from questionnaires import QuestionnaireInvalid, load_questionnaire_text
from questionnaires.diff import diff_questionnaires
from questionnaires.model import Questionnaire
from questionnaires.problems import N_, Msg, Problem
from questionnaires.xlsform import ImportOptions, import_xlsform
from survey_app.admin.forms import ConsoleForm
from survey_app.admin.terms import error_text, problem_text
from survey_app.dates import today
from survey_app.domain.accounts import audit, scope_institution_ids
from survey_app.domain.errors import DomainError
from survey_app.domain.questionnaires import store_questionnaire
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign, CampaignQuestionnaire, QuestionnaireVersion, Response
from survey_app.respondent.versions import LoadedVersion, loaded_version

bp = Blueprint("admin_questionnaires", __name__, url_prefix="/admin/questionnaires")

_XLSX = (".xlsx", ".xlsm")
_YAML = (".yaml", ".yml")


class UploadForm(ConsoleForm):
    definition = FileField(
        lazy_gettext("Questionnaire file (YAML or XLSForm .xlsx)"), validators=[FileRequired()]
    )
    language = StringField(
        lazy_gettext("Language of an XLSForm without language columns (e.g. id, en)"),
        validators=[Optional(), Length(max=20)],
    )
    skip_refused = BooleanField(
        lazy_gettext("Import without the refused items (locations, photos, recordings, repeats…)")
    )
    attachments = MultipleFileField(lazy_gettext("CSV files the XLSForm names (select_one_from_file)"))


def _version(version_id: int) -> QuestionnaireVersion:
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        abort(404)
    return version


def _loaded(version: QuestionnaireVersion) -> LoadedVersion:
    return loaded_version(version.content_hash, lambda: version.canonical_json)


def _usage() -> tuple[dict[int, list[str]], dict[int, int]]:
    """Campaign slugs and response counts per version id, within the current admin's scope."""
    ids = scope_institution_ids(current_user)
    campaigns = select(CampaignQuestionnaire.questionnaire_version_id, Campaign.slug).join(
        Campaign, Campaign.id == CampaignQuestionnaire.campaign_id
    )
    counts = (
        select(Response.questionnaire_version_id, func.count())
        .join(Campaign, Campaign.id == Response.campaign_id)
        .group_by(Response.questionnaire_version_id)
    )
    if ids is not None:
        campaigns = campaigns.where(Campaign.institution_id.in_(ids))
        counts = counts.where(Campaign.institution_id.in_(ids))
    used: dict[int, list[str]] = {}
    for version_id, slug in db.session.execute(campaigns.order_by(Campaign.slug)):
        used.setdefault(version_id, []).append(slug)
    return used, {version_id: n for version_id, n in db.session.execute(counts)}


def _index(form: UploadForm, **context: Any) -> ResponseReturnValue:
    versions = db.session.scalars(
        select(QuestionnaireVersion).order_by(QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.id)
    ).all()
    used, counts = _usage()
    previous: dict[int, int] = {}
    last: dict[str, int] = {}
    for v in versions:
        if v.questionnaire_id in last:
            previous[v.id] = last[v.questionnaire_id]
        last[v.questionnaire_id] = v.id
    status = 400 if context.get("problems") or context.get("error") else 200
    context.setdefault("warnings", [])
    return render_template(
        "admin/questionnaires.html",
        problem_text=problem_text,
        versions=versions,
        used=used,
        counts=counts,
        previous=previous,
        form=form,
        **context,
    ), status


@bp.route("/")
@requires_role("admin")
def index() -> ResponseReturnValue:
    return _index(UploadForm())


class _ImportInvalid(QuestionnaireInvalid):
    """An XLSForm that cannot be imported, with its warnings and whether only refused items stop it."""

    def __init__(self, problems: list[Problem], warnings: list[Problem], refused_only: bool) -> None:
        super().__init__(problems)
        self.warnings = warnings
        self.refused_only = refused_only


def _read(
    name: str, data: bytes, options: ImportOptions | None = None
) -> tuple[Questionnaire, list[Problem]]:
    """The questionnaire in an uploaded file and the import's warnings; :class:`QuestionnaireInvalid` lists
    every problem (an XLSForm's as :class:`_ImportInvalid`, with its warnings)."""
    suffix = Path(name).suffix.lower()
    if suffix in _XLSX:
        # The importer reads a path; keeping the uploaded name makes problems name the file the user has.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            result = import_xlsform(path, options)

        def renamed(problems: list[Problem]) -> list[Problem]:
            return [
                Problem(
                    name,
                    p.line,
                    p.column,
                    p.message.replace(str(path), name),
                    p.text.replaced(str(path), name) if p.text is not None else None,
                )
                for p in problems
            ]

        if result.questionnaire is None:
            error = QuestionnaireInvalid(
                renamed(result.problems) or [Problem.of(name, 0, 0, Msg(N_("nothing to import")))]
            )
            error.refused_only = result.only_refused  # type: ignore[attr-defined]
            error.warnings = renamed(result.warnings)  # type: ignore[attr-defined]
            raise error
        return result.questionnaire, renamed(result.warnings)
    if suffix not in _YAML:
        raise QuestionnaireInvalid(
            [
                Problem(
                    name,
                    0,
                    0,
                    _("expected a .yaml, .yml or .xlsx file, not %(suffix)s", suffix=suffix or "?"),
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QuestionnaireInvalid(
            [Problem.of(name, 0, 0, Msg(N_("the file is not UTF-8 text (%(reason)s)"), reason=exc.reason))]
        ) from None
    return load_questionnaire_text(text, name), []


@bp.route("/upload", methods=["POST"])
@requires_role("admin")
def upload() -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, error=_("Choose a questionnaire file to upload."))
    upload = form.definition.data
    name = secure_filename(getattr(upload, "filename", None) or "") or "upload"
    attachments = {
        secure_filename(f.filename): f.read()
        for f in form.attachments.data or []
        if getattr(f, "filename", None) and secure_filename(f.filename)
    }
    options = ImportOptions(
        language=(form.language.data or "").strip() or None,
        skip_refused=bool(form.skip_refused.data),
        attachments=attachments,
    )
    try:
        questionnaire, warnings = _read(name, upload.read(), options)
    except QuestionnaireInvalid as exc:
        return _index(
            form,
            problems=exc.problems or [Problem.of(name, 0, 0, Msg(N_("not a valid questionnaire")))],
            warnings=getattr(exc, "warnings", []),
            refused_only=getattr(exc, "refused_only", False),
            language_missing=any("do not say which language" in p.message for p in exc.problems),
        )
    try:
        version, created = store_questionnaire(questionnaire, today())
    except DomainError as exc:
        db.session.rollback()
        return _index(form, error=error_text(exc))
    if not created:
        return _index(form, already=version, warnings=warnings)
    audit(
        "questionnaire.load",
        f"questionnaire:{version.questionnaire_id}@{version.version}",
        file=name,
        content_hash=version.content_hash,
        group=version.respondent_group,
        user=acting_user(),
    )
    db.session.commit()
    return _index(form, loaded=version, warnings=warnings)


@bp.route("/<int:version_id>/preview")
@requires_role("admin")
def preview(version_id: int) -> ResponseReturnValue:
    """Every page as respondents see it, read-only (no form), with skip-logic conditions noted."""
    version = _version(version_id)
    loaded = _loaded(version)
    questionnaire = loaded.questionnaire
    lang = request.args.get("qlang", questionnaire.default_language)
    if lang not in questionnaire.languages:
        lang = questionnaire.default_language
    view = loaded.view(lang)
    pages = [
        {
            "page": page,
            "section": view.sections[page.section.id],
            "items": [(view.items[i.id], i) for i in page.items],
        }
        for page in loaded.plan.pages
    ]
    # The respondent's fixed texts ("optional", "Select all that apply") in the previewed language too.
    with force_locale(lang):
        return render_template(
            "admin/questionnaire_preview.html",
            version=version,
            questionnaire=questionnaire,
            view=view,
            pages=pages,
            lang=lang,
        )


@bp.route("/<int:version_id>/diff")
@requires_role("admin")
def diff(version_id: int) -> ResponseReturnValue:
    """What changed from another version of the same questionnaire (``?against=<id>``) to this one."""
    version = _version(version_id)
    others = db.session.scalars(
        select(QuestionnaireVersion)
        .where(
            QuestionnaireVersion.questionnaire_id == version.questionnaire_id,
            QuestionnaireVersion.id != version.id,
        )
        .order_by(QuestionnaireVersion.id)
    ).all()
    error = None
    result = None
    against_arg = request.args.get("against", "")
    against = None
    if against_arg:
        if not against_arg.isdigit() or int(against_arg) not in {o.id for o in others}:
            error = _("Choose another version of %(id)s to compare with.", id=version.questionnaire_id)
        else:
            against = db.session.get(QuestionnaireVersion, int(against_arg))
    else:
        earlier = [o for o in others if o.id < version.id]
        against = earlier[-1] if earlier else (others[0] if others else None)
    if against is not None:
        result = diff_questionnaires(_loaded(against).questionnaire, _loaded(version).questionnaire)
    return render_template(
        "admin/questionnaire_diff.html",
        version=version,
        against=against,
        others=others,
        result=result,
        error=error,
    ), (400 if error else 200)
