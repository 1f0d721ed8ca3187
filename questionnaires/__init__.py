"""The questionnaire definition language: typed model, loader, validator, expressions, XLSForm."""
