"""Request handlers of the questionnaire pages, shared by the invitation and the open-access entries.

An :class:`Entry` says who is answering (campaign, group, version, draft key, design attributes) and how to
store the finished response; the handlers here do the rest: consent, pages, back/next, validation with an
error summary, resume, and the final submit.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField

from questionnaires.expressions import satisfies_constraint
from questionnaires.model import Item
from survey_app.dates import today
from survey_app.domain import campaigns, release
from survey_app.extensions import db
from survey_app.models import Draft, QuestionnaireVersion
from survey_app.models.types import utcnow
from survey_app.respondent.display import for_answers, piped_message, section_for_answers
from survey_app.respondent.pages import Page, offered
from survey_app.respondent.questions import ParseError, question_type
from survey_app.respondent.state import CampaignTerms, DraftState
from survey_app.respondent.store import load_draft, save_draft
from survey_app.respondent.versions import LoadedVersion, loaded_version
from survey_app.tokens import token_hash

#: ``Entry.loaded_draft`` when the draft was not read with the entry.
UNREAD = object()


class ConsentForm(FlaskForm):
    consent = BooleanField()


@dataclass
class Entry:
    campaign: CampaignTerms
    group: str
    version_id: int
    content_hash: str
    draft_key: str
    unit_id: int | None
    stratum: str | None
    weight: float
    open_access: bool
    #: URL of a page of this respondent's questionnaire, by page key.
    page_url: Callable[[str], str]
    #: URL of the introduction (where consent is posted).
    start_url: str
    #: Stores the response (its column values) in the holding area, spends the invitation/draft in the same
    #: transaction; returns how many of the campaign's responses are held now, ``None``: already used.
    store: Callable[[dict[str, Any]], int | None]
    #: The page shown when ``store`` says the entry was already used.
    already_used: Callable[[], ResponseReturnValue]
    #: The draft as read together with the entry (``None``: there is none), or ``UNREAD``.
    loaded_draft: DraftState | object | None = UNREAD
    #: The invitation was spent: said only after the respondent acts (a POST), never on a plain GET.
    spent: bool = False
    #: Where a resume code is posted (invitations; open access has none).
    resume_url: str = ""

    def version(self) -> LoadedVersion:
        def canonical_json() -> str:
            text = db.session.scalar(
                select(QuestionnaireVersion.canonical_json).where(QuestionnaireVersion.id == self.version_id)
            )
            if text is None:
                abort(404)
            return text

        return loaded_version(self.content_hash, canonical_json)

    def draft(self) -> DraftState | None:
        if isinstance(self.loaded_draft, DraftState) or self.loaded_draft is None:
            return self.loaded_draft
        return load_draft(self.draft_key)


def status_page(kind: str, code: int, campaign: CampaignTerms | None = None) -> ResponseReturnValue:
    closed_day = campaigns.closed_since(campaign, today()) if campaign is not None else None
    return render_template(
        "respondent/status.html", kind=kind, campaign=campaign, closed_day=closed_day
    ), code


def campaign_closed(campaign: CampaignTerms) -> ResponseReturnValue | None:
    """The page for a campaign that does not take answers today, or ``None`` when it does."""
    shown = campaigns.state(campaign, today())
    if shown is campaigns.CampaignState.OPEN:
        return None
    if shown is campaigns.CampaignState.CLOSED:
        return status_page("closed", 410, campaign)
    return status_page("not_open", 403, campaign)


def _language() -> str:
    return str(get_locale() or "id")


def _required_message(item: Item) -> str:
    """The questionnaire's own message where it has one (in the page's language if given), else ours."""
    own = item.required_message.get(_language()) or next(iter(item.required_message.values()), "")
    return own or str(gettext("Answer this question."))


def intro(entry: Entry, form: ConsentForm | None = None) -> ResponseReturnValue:
    version = entry.version()
    consent_error = form is not None and not form.consent.data
    return render_template(
        "respondent/intro.html",
        entry=entry,
        view=version.view(_language()),
        consent_error=consent_error,
        errors={"consent": gettext("Tick the box to take part.")} if consent_error else {},
    )


# Resume codes ---------------------------------------------------------------------------------------------
#
# A link is held by its respondent and by whoever issued it. So a saved draft of an invitation is shown only
# to the browser that started it (its code is in that browser's session) or to one that gives the code the
# pages show: the link alone shows a "continue" page without answers.

#: Session key: resume codes by the start of their draft's key.
RESUME_CODES = "resume_codes"
#: No 0/O, 1/I/L: read off a phone and typed on another device.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_resume_code() -> str:
    """Eight characters in two groups (31⁸ ≈ 8.5 × 10¹¹ codes; the resume form is rate-limited)."""
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def _plain_code(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def _code_hash(draft_key: str, code: str) -> str:
    return token_hash(f"resume:{draft_key}:{_plain_code(code)}")


def _remember_code(draft_key: str, code: str) -> None:
    codes = {k: v for k, v in session.get(RESUME_CODES, {}).items() if k != draft_key[:16]}
    session[RESUME_CODES] = dict([*codes.items(), (draft_key[:16], code)][-20:])
    session.permanent = True


def remembered_code(draft_key: str) -> str | None:
    code = session.get(RESUME_CODES, {}).get(draft_key[:16])
    return code if isinstance(code, str) else None


def browser_holds(entry: Entry, draft: DraftState) -> bool:
    """Whether this browser may see ``draft``: it started it, or gave its code (open access: always, its
    draft key lives in this browser only)."""
    if entry.open_access or draft.resume_hash is None:
        return True
    code = remembered_code(draft.key)
    return code is not None and hmac.compare_digest(_code_hash(draft.key, code), draft.resume_hash)


def continue_page(entry: Entry, *, wrong_code: bool = False) -> ResponseReturnValue:
    """The page for a link whose draft this browser does not hold: asks for the code, shows no answer."""
    errors = {"code": gettext("This code does not match. Check it and try again.")} if wrong_code else {}
    return render_template("respondent/continue.html", entry=entry, errors=errors), 400 if wrong_code else 200


def resume_with_code(entry: Entry) -> ResponseReturnValue:
    """A resume code posted: the draft's page if it matches, the form again if not."""
    draft = entry.draft()
    if entry.spent or draft is None:
        return redirect(entry.start_url, 303)
    code = str(request.form.get("code", ""))
    if draft.resume_hash is None or not hmac.compare_digest(_code_hash(draft.key, code), draft.resume_hash):
        return continue_page(entry, wrong_code=True)
    _remember_code(draft.key, code)
    return resume(entry, draft)


def start(entry: Entry) -> ResponseReturnValue:
    """Consent given: create the draft (if none) and go to where the respondent is."""
    form = ConsentForm()
    if not form.validate_on_submit() or not form.consent.data:
        return intro(entry, form)
    if entry.spent:
        return entry.already_used()
    draft = entry.draft()
    if draft is not None:
        if not browser_holds(entry, draft):
            return continue_page(entry)
        return redirect(entry.page_url(draft.current_page), 303)
    first = entry.version().plan.first.key
    moment = utcnow()
    code = None if entry.open_access else new_resume_code()
    db.session.add(
        Draft(
            key=entry.draft_key,
            campaign_id=entry.campaign.id,
            questionnaire_version_id=entry.version_id,
            respondent_group=entry.group,
            unit_id=entry.unit_id if entry.open_access else None,
            answers={},
            current_page=first,
            started_at=moment,
            updated_at=moment,
            resume_hash=_code_hash(entry.draft_key, code) if code else None,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Two tabs consented at once; the other one created the draft.
        db.session.rollback()
        draft = load_draft(entry.draft_key)
        if draft is None:
            raise
        if not browser_holds(entry, draft):
            return continue_page(entry)
        first = draft.current_page
    else:
        if code:
            _remember_code(entry.draft_key, code)
    return redirect(entry.page_url(first), 303)


def resume(entry: Entry, draft: DraftState) -> ResponseReturnValue:
    return redirect(entry.page_url(draft.current_page) + "?resumed=1", 303)


def _page_or_404(version: LoadedVersion, key: str) -> Page:
    page = version.plan.page(key)
    if page is None:
        abort(404)
    return page


def _render_page(
    entry: Entry,
    version: LoadedVersion,
    page: Page,
    cleaned: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> ResponseReturnValue:
    plan = version.plan
    lang = _language()
    view = version.view(lang)
    items = plan.visible_items(page, cleaned)
    position, total = plan.progress(page, cleaned)
    return render_template(
        "respondent/page.html",
        entry=entry,
        view=view,
        section=section_for_answers(view.sections[page.section.id], version.questionnaire, cleaned, lang),
        page=page,
        items=[for_answers(view.items[i.id], i, version.questionnaire, cleaned, lang) for i in items],
        values=values,
        errors=errors,
        position=position,
        total=total,
        has_previous=plan.previous_page(page, cleaned) is not None,
        is_last=plan.next_page(page, cleaned) is None,
        resumed=request.args.get("resumed") == "1",
        incomplete=request.args.get("incomplete") == "1",
        action=entry.page_url(page.key),
        resume_code=None if entry.open_access else remembered_code(entry.draft_key),
    )


#: Draft key of what was last posted on a page that did not validate: ``{"page": key, "form": {item: [..]}}``.
#: Not an item id (those are identifiers), so ``plan.clean`` never takes it into a response.
POSTED = "~posted"


def show_page(entry: Entry, draft: DraftState, key: str) -> ResponseReturnValue:
    version = entry.version()
    plan = version.plan
    page = _page_or_404(version, key)
    cleaned = plan.clean(draft.answers)
    if not plan.is_visible(page, cleaned):
        # Hidden by an answer given since (or a hand-typed URL): go on to the next page that is shown.
        following = plan.next_page(page, cleaned) or plan.previous_page(page, cleaned) or plan.first
        return redirect(entry.page_url(following.key), 303)
    posted = draft.answers.get(POSTED)
    if isinstance(posted, dict) and posted.get("page") == page.key:
        # The page after a POST that did not validate (post/redirect/get): the same answers and messages,
        # checked again from what was posted, so reloading or going back never re-sends a form.
        checked = _check_page(version, page, cleaned, MultiDict(_posted_pairs(posted)), going_on=True)
        if checked.errors:
            return _render_page(entry, version, page, cleaned, checked.posted, checked.errors)
    values = {
        item.id: question_type(item).form_value(draft.answers.get(item.id))
        for item in page.items
        if item.type.stores_answer
    }
    return _render_page(entry, version, page, cleaned, values, {})


def _posted_pairs(posted: Mapping[str, Any]) -> list[tuple[str, str]]:
    form = posted.get("form")
    if not isinstance(form, dict):
        return []
    return [(str(name), str(v)) for name, values in form.items() if isinstance(values, list) for v in values]


@dataclass
class _Checked:
    """A page's answers as posted: the valid ones, the messages for the others, what to show again."""

    visible: list[Any]
    values: dict[str, Any]
    errors: dict[str, str]
    posted: dict[str, Any]


def _check_page(
    version: LoadedVersion, page: Page, cleaned_before: Mapping[str, Any], formdata: Any, *, going_on: bool
) -> _Checked:
    plan = version.plan
    questionnaire = version.questionnaire
    visible = [i for i in plan.visible_items(page, cleaned_before) if i.type.stores_answer]
    # CSRFProtect already checked every POST; a re-check on GET has no token to check.
    form = version.form_class(page)(formdata=formdata, meta={"csrf": False})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in visible:
        field = form[f"q_{item.id}"]
        try:
            value = question_type(item).parse(item, field, questionnaire)
        except ParseError as exc:
            errors[item.id] = str(exc)
            continue
        if value is None:
            if item.required and going_on:
                errors[item.id] = piped_message(
                    _required_message(item), questionnaire, cleaned_before, _language()
                )
            continue
        if item.choice_filter is not None and not _offered(version, item, value, cleaned_before):
            # Only a hand-made request sends an option the page did not show.
            errors[item.id] = gettext("Choose among the options shown.")
            continue
        values[item.id] = value
    # Calculations computed again with this page's answers, so a constraint can use them.
    context = plan.clean({**cleaned_before, **values})
    for item in visible:
        if item.id in values and not satisfies_constraint(item.constraint, values[item.id], context):
            message = item.constraint_message.get(_language()) or next(
                iter(item.constraint_message.values()), gettext("Check this answer.")
            )
            errors[item.id] = piped_message(message, questionnaire, context, _language())
            del values[item.id]
    posted = {i.id: question_type(i).posted_value(form[f"q_{i.id}"]) for i in visible}
    return _Checked(visible, values, errors, posted)


def _offered(version: LoadedVersion, item: Item, value: Any, answers: Mapping[str, Any]) -> bool:
    scale = version.questionnaire.scale_of(item)
    if scale is None:
        return True
    for code in value if isinstance(value, list) else [value]:
        option = scale.option(str(code))
        if option is None or (
            option.missing is None and not offered(item, option.code, answers, option.attributes)
        ):
            return False
    return True


def save_page(entry: Entry, draft: DraftState, key: str) -> ResponseReturnValue:
    version = entry.version()
    plan = version.plan
    page = _page_or_404(version, key)
    action = request.form.get("action", "next")
    going_on = action != "back"

    cleaned_before = plan.clean(draft.answers)
    checked = _check_page(version, page, cleaned_before, request.form, going_on=going_on)
    visible, values, errors = checked.visible, checked.values, checked.errors

    # Valid answers are kept even when others on the page are not; answers that failed keep what was stored.
    shown = {i.id for i in visible}
    answers = {k: v for k, v in draft.answers.items() if (k not in shown or k in errors) and k != POSTED}
    answers.update(values)

    if errors and going_on:
        # Post/redirect/get: what was posted waits in the draft (server-side, deleted with it at the
        # submit) and the page is shown by a GET, so a phone's back button never asks to resend a form.
        answers[POSTED] = {"page": page.key, "form": {i.id: request.form.getlist(i.id) for i in visible}}
        if not _save_draft(draft, answers, draft.current_page):
            return entry.already_used()
        return redirect(entry.page_url(page.key), 303)

    cleaned = plan.clean(answers)
    if going_on:
        target = plan.next_page(page, cleaned)
        suffix = ""
        if target is None:
            target = plan.first_incomplete(answers, cleaned=cleaned)
            if target is None:
                # The draft is not written first: the submit transaction deletes it.
                return _submit(entry, draft, cleaned)
            suffix = "?incomplete=1"
    else:
        target, suffix = plan.previous_page(page, cleaned) or page, ""
    if not _save_draft(draft, answers, target.key):
        return entry.already_used()
    return redirect(entry.page_url(target.key) + suffix, 303)


def _save_draft(draft: DraftState, answers: dict[str, Any], current_page: str) -> bool:
    """Write the draft; ``False`` when it vanished meanwhile (submitted from another tab)."""
    if not save_draft(draft.key, answers, current_page):
        db.session.rollback()
        return False
    db.session.commit()
    return True


#: Durations are stored in whole minutes up to this many: a precise time to complete, matched with an access
#: log or a watching supervisor, would tell who submitted; the quality checks need only minutes.
DURATION_CAP_MINUTES = 180


def coarse_duration(elapsed: timedelta) -> int:
    """The time to complete as stored: rounded to whole minutes, capped, in seconds.

    >>> coarse_duration(timedelta(seconds=89)), coarse_duration(timedelta(seconds=91))
    (60, 120)
    >>> coarse_duration(timedelta(hours=7)) == DURATION_CAP_MINUTES * 60
    True
    """
    minutes = round(max(elapsed.total_seconds(), 0) / 60)
    return min(minutes, DURATION_CAP_MINUTES) * 60


def _submit(entry: Entry, draft: DraftState, answers: dict[str, Any]) -> ResponseReturnValue:
    elapsed = utcnow() - draft.started_at
    response = {
        "id": uuid.uuid4(),
        "campaign_id": entry.campaign.id,
        "questionnaire_version_id": entry.version_id,
        "respondent_group": entry.group,
        "unit_id": entry.unit_id,
        "stratum": entry.stratum,
        "weight": entry.weight,
        "open_access": entry.open_access,
        "answers": answers,
        "duration_seconds": coarse_duration(elapsed),
        "submitted_on": today(),
    }
    held = entry.store(response)
    if held is None:
        return entry.already_used()
    batch = release.batch_size(entry.campaign.min_cell, entry.campaign.release_batch)
    if held >= batch:
        _release(entry.campaign.id, batch)
    return redirect(url_for("respondent.thanks"), 303)


def _release(campaign_id: int, batch: int) -> None:
    """Release the campaign's held responses (a batch is full), in a transaction of its own: the response is
    already committed in the holding area, so a failure here loses nothing (the next release takes it)."""
    try:
        release.release(campaign_id, at_least=batch)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("releasing held responses failed; they stay held for the next release")
