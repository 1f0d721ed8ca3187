"""The respondent flow, independent of how the respondent got in (invitation or open link).

- :mod:`.pages` — the questionnaire as a sequence of pages, skip logic, cleaning of answers;
- :mod:`.questions` — the registry of question types (one small class per item type);
- :mod:`.forms` — WTForms classes built per page from the registry;
- :mod:`.display` — sanitised Markdown and the per-language view of a page, cached per version;
- :mod:`.views` — the request handlers both entry blueprints delegate to.
"""
