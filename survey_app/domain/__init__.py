"""The rules of the product, one module per subject; adapters (``admin/``, ``api/``, ``cli/``, the respondent
blueprints) parse their input, call these and render what comes back.

Domain functions work on the ORM session (``survey_app.extensions.db``) but never commit: the caller owns the
transaction, so a failure halfway leaves nothing. They never read the request, the logged-in user, flashed
messages, URLs or templates, and raise :class:`~survey_app.domain.errors.DomainError` (or a subclass) with a
message for the user.

- :mod:`.questionnaires` — stored questionnaire versions;
- :mod:`.institutions` — institutions and units, their CSV import;
- :mod:`.campaigns` — campaigns and their state on a day;
- :mod:`.invitations` — issuing invitation links;
- :mod:`.accounts` — console accounts, passwords, scopes, the audit log;
- :mod:`.disclosure` — the effective minimum cell size and every suppression rule;
- :mod:`.exports` — response exports (rows) and :mod:`.files` — the files they are written to;
- :mod:`.results` — loading responses for scoring, score runs, compute jobs, the rows the pages show;
- :mod:`.synthetic` — synthetic responses for the demo and the benchmarks.
"""
