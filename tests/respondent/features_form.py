"""A questionnaire with the features an XLSForm import brings: a cascading select, dates and times, a
calculation, a required message and answers shown in labels (``${id}``)."""

from __future__ import annotations

from questionnaires.loader import load_questionnaire_text
from questionnaires.model import Questionnaire

FEATURES_YAML = """
kind: questionnaire
id: features
version: "1"
title: {id: Survei fitur, en: Feature survey}
group: internal
languages: [id, en]
scales:
  - id: province
    kind: nominal
    options:
      - {code: jb, label: {id: Jawa Barat, en: West Java}}
      - {code: bl, label: {id: Bali, en: Bali}}
  - id: city
    kind: nominal
    dont_know: true
    options:
      - {code: bogor, label: {id: Bogor, en: Bogor}, attributes: {province: jb}}
      - {code: bandung, label: {id: Bandung, en: Bandung}, attributes: {province: jb}}
      - {code: denpasar, label: {id: Denpasar, en: Denpasar}, attributes: {province: bl}}
sections:
  - id: place
    title: {id: Tempat, en: Place}
    items:
      - id: province
        type: select_one
        scale: province
        label: {id: Provinsi?, en: Province?}
        required_message: {id: Pilih provinsi Anda dulu., en: Choose your province first.}
      - id: city
        type: select_one
        scale: city
        label: {id: "Kota di ${province}?", en: "City in ${province}?"}
        choice_filter: province = ${province}
  - id: when
    title: {id: Waktu, en: Time}
    items:
      - id: visit
        type: date
        label: {id: Tanggal kunjungan?, en: Date of the visit?}
        constraint: . >= date('2020-01-01')
        constraint_message: {id: Sejak 2020 saja., en: From 2020 only.}
      - id: at
        type: time
        label: {id: Jam?, en: At what time?}
        required: false
      - id: moment
        type: datetime
        label: {id: Tanggal dan jam?, en: Date and time?}
        required: false
      - id: days
        type: calculate
        calculation: int(${visit} - date('2020-01-01'))
  - id: later
    title: {id: Lama, en: Long ago}
    relevant: ${days} > 100
    items:
      - id: why
        type: text
        label: {id: "Mengapa ${days} hari, di ${city}?", en: "Why ${days} days, in ${city}?"}
        required: false
"""


def features() -> Questionnaire:
    return load_questionnaire_text(FEATURES_YAML, "features.yaml")
