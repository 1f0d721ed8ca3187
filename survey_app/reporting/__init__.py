"""Framework-free building blocks of the administrator console: charts, exports and printable QR sheets.

Nothing here imports Flask or SQLAlchemy: every function takes DataFrames and the questionnaire model and
returns bytes, strings or DataFrames, so it can be tested and used alone.

- :mod:`survey_app.reporting.charts` — heat map, forest plot, trend (PNG, SVG, alt text, data table).
- :mod:`survey_app.reporting.qrsheet` — printable PDF of invitation QR cards and the counter poster.
- :mod:`survey_app.reporting.labels` — the built-in Bahasa Indonesia and English texts.
"""
