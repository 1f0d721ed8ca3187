"""The OpenAPI 3.1 description of the API, written out here (not generated) so it is reviewed with the code.

``tests/api/test_openapi.py`` checks that every route of the blueprint is described and nothing else, and
that every response of the test campaign matches its schema.
"""

from __future__ import annotations

import copy
from typing import Any

from survey_app.domain.results.files import software_version

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    # Closed objects: a field added to a response without being described here fails the schema test.
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


STRING: Schema = {"type": "string"}
DATE: Schema = {"type": "string", "format": "date"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
COUNT: Schema = {"type": "integer", "minimum": 0}
BOOL: Schema = {"type": "boolean"}
NUMBER_OR_NULL: Schema = {"type": ["number", "null"]}
STRING_OR_NULL: Schema = {"type": ["string", "null"]}
STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}

_VALUES: dict[str, Schema] = {
    "estimate": {**NUMBER_OR_NULL, "description": "0–100; null when suppressed or not published"},
    "se": {**NUMBER_OR_NULL, "description": "standard error"},
    "ci_low": {**NUMBER_OR_NULL, "description": "lower bound of the confidence interval (run's level)"},
    "ci_high": {**NUMBER_OR_NULL, "description": "upper bound of the confidence interval"},
    "df": {**NUMBER_OR_NULL, "description": "degrees of freedom of the interval"},
}
COUNT_OR_NULL: Schema = {"type": ["integer", "null"], "minimum": 0}
_STATE: dict[str, Schema] = {
    "n": {**COUNT_OR_NULL, "description": "respondents in the cell; null when suppressed"},
    "n_below": {
        **COUNT_OR_NULL,
        "description": "for a cell suppressed as too small: its n is below this (min_cell); else null",
    },
    "published": {**BOOL, "description": "the cell met the profile's publication rule"},
    "suppressed": {**BOOL, "description": "no numbers are given (too small, or complementary)"},
    "suppression": {
        "type": ["string", "null"],
        "enum": ["primary", "complementary", "changed", None],
        "description": (
            "primary: fewer than min_cell respondents; complementary: withheld so that a smaller cell "
            "cannot be recomputed from the published ones and the institution's total; changed: its n "
            "changed by fewer than min_cell since an earlier run of the campaign; null: shown"
        ),
    },
    "note": {**STRING_OR_NULL, "description": "why a cell is suppressed or not published"},
}

#: Fields added after version 1 was first described.
LATER = ("n_below", "suppression")
_TARGET: dict[str, Schema] = {
    "prob_at_least_target": {
        **NUMBER_OR_NULL,
        "description": "chance (0–1) that the true index reaches the campaign's target; null when suppressed "
        "or without a target",
    },
    "gap_to_target": {
        **NUMBER_OR_NULL,
        "description": "estimate − target; null when suppressed or no target",
    },
}

#: What a unit's row and the institution's row have in common.
_CELL: Schema = {
    **_VALUES,
    "n": _STATE["n"],
    "n_below": _STATE["n_below"],
    "category": {**STRING_OR_NULL, "description": "the profile's category; null when suppressed"},
    "category_uncertain": {**BOOL, "description": "the interval crosses a category boundary"},
    "complete": {**BOOL, "description": "every respondent group contributed"},
    "published": _STATE["published"],
    "suppressed": _STATE["suppressed"],
    "suppression": _STATE["suppression"],
    "note": _STATE["note"],
    **_TARGET,
    "groups": {"type": "array", "items": _ref("GroupCell")},
}

SCHEMAS: dict[str, Schema] = {
    "Error": _obj(
        {
            "error": {**STRING, "description": "e.g. unauthorized, forbidden, not_found"},
            "message": STRING,
        }
    ),
    "Institution": _obj({"code": STRING, "name": STRING}),
    "ResponseCounts": _obj({"total": COUNT, "by_group": {"type": "object", "additionalProperties": COUNT}}),
    "Campaign": _obj(
        {
            "slug": STRING,
            "title": STRING,
            "period": STRING,
            "institution": _ref("Institution"),
            "status": {"type": "string", "enum": ["draft", "open", "closed"]},
            "opens_on": DATE,
            "closes_on": DATE,
            "profile_id": STRING,
            "min_cell": {"type": "integer", "minimum": 1},
            "groups": {"type": "array", "items": STRING},
            "responses": {**_ref("ResponseCounts"), "description": "analysts and admins only"},
        },
        optional=("responses",),
    ),
    "CampaignList": _obj({"campaigns": {"type": "array", "items": _ref("Campaign")}}),
    "Run": _obj(
        {
            "id": {"type": "integer"},
            "created_at": DATETIME,
            "published": BOOL,
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "responses_read": COUNT,
            "profile": _obj({"id": STRING, "version": STRING, "hash": STRING}),
            "questionnaire_hashes": {**STRING_MAP, "description": "respondent group → questionnaire hash"},
            "software_version": STRING,
            "method": STRING_OR_NULL,
            "level": NUMBER_OR_NULL,
            "min_cell": {"type": ["integer", "null"]},
        }
    ),
    "RunList": _obj({"campaign": STRING, "runs": {"type": "array", "items": _ref("Run")}}),
    # n_below and suppression are always sent; optional so that a client written before them stays valid.
    "GroupCell": _obj({"group": STRING, **_VALUES, **_STATE}, optional=LATER),
    "QualityFlag": _obj(
        {
            "group": STRING_OR_NULL,
            "check": STRING,
            "value": {"type": ["number", "string", "null"]},
            "threshold": {"type": ["number", "string", "null"]},
            "reason": STRING,
        }
    ),
    "UnitResult": _obj(
        {
            "unit": STRING,
            "unit_name": STRING_OR_NULL,
            **_CELL,
            "quality_flags": {
                "type": "array",
                "items": _ref("QualityFlag"),
                "description": "analysts and admins only",
            },
        },
        optional=("quality_flags", *LATER, *_TARGET),
    ),
    "InstitutionResult": _obj(
        {
            "institution": STRING,
            "institution_name": STRING,
            **_CELL,
        },
        optional=tuple(_TARGET),
    ),
    "Results": _obj(
        {
            "campaign": STRING,
            "run": _ref("Run"),
            "min_cell": {"type": "integer", "minimum": 1},
            "target": {**NUMBER_OR_NULL, "description": "the campaign's target index, if one is set"},
            "institution": {
                **_ref("InstitutionResult"),
                "description": "the institution as a whole; absent for a run computed before it was kept",
            },
            "units": {"type": "array", "items": _ref("UnitResult")},
        },
        optional=("institution",),
    ),
    "DimensionCell": _obj(
        {"unit": STRING, "group": STRING, "dimension": STRING, **_VALUES, **_STATE}, optional=LATER
    ),
    "InstitutionDimensionCell": _obj(
        {"institution": STRING, "group": STRING, "dimension": STRING, **_VALUES, **_STATE}
    ),
    "Dimension": _obj({"id": STRING, "label": STRING_MAP, "weight": {"type": "number"}}),
    "DimensionResults": _obj(
        {
            "campaign": STRING,
            "run": _ref("Run"),
            "min_cell": {"type": "integer", "minimum": 1},
            "dimensions": {"type": "array", "items": _ref("Dimension")},
            "cells": {
                "type": "array",
                "items": _ref("DimensionCell"),
                "description": "per unit × group (``all`` = the groups combined) × dimension",
            },
            "institution_cells": {
                "type": "array",
                "items": _ref("InstitutionDimensionCell"),
                "description": "the institution as a whole, per group (``all`` = combined) × dimension; "
                "empty for a run computed before they were kept",
            },
        }
    ),
}
SCHEMAS["CampaignDetail"] = copy.deepcopy(SCHEMAS["Campaign"])
SCHEMAS["CampaignDetail"]["properties"].update(
    {
        "units": {"type": "array", "items": _obj({"code": STRING, "name": STRING})},
        "questionnaires": {
            "type": "array",
            "items": _obj({"group": STRING, "id": STRING, "version": STRING, "hash": STRING}),
        },
    }
)
SCHEMAS["CampaignDetail"]["required"] += ["units", "questionnaires"]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


SLUG = {"name": "slug", "in": "path", "required": True, "schema": STRING, "description": "campaign slug"}
COMMON_ERRORS = {
    "401": {
        **_error("no token, or an unknown, revoked or expired one, or the account is deactivated"),
        "headers": {"WWW-Authenticate": {"schema": STRING, "description": "Bearer"}},
    },
    "429": _error("too many requests from this address"),
}
NOT_FOUND = {"404": _error("no such campaign in the account's institutions (or no visible results)")}
FORBIDDEN = {"403": _error("the account's role may not use this endpoint")}


def _get(summary: str, ok: dict[str, Any], *, slug: bool = True, extra: dict[str, Any] | None = None) -> Any:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": ok, **COMMON_ERRORS, **(NOT_FOUND if slug else {}), **(extra or {})},
    }
    if slug:
        operation["parameters"] = [SLUG]
    return {"get": operation}


PATHS: dict[str, Any] = {
    "/campaigns": _get(
        "Campaigns in the account's institutions", _ok("the campaigns", "CampaignList"), slug=False
    ),
    "/campaigns/{slug}": _get(
        "One campaign, its units and questionnaires", _ok("the campaign", "CampaignDetail")
    ),
    "/campaigns/{slug}/results": _get(
        "The index per unit from the run this account sees (viewers: the latest published run)",
        _ok("index per unit with confidence interval, category and n per group", "Results"),
    ),
    "/campaigns/{slug}/results/dimensions": _get(
        "Dimension scores per unit and respondent group from the same run",
        _ok("dimension scores", "DimensionResults"),
    ),
    "/campaigns/{slug}/runs": _get(
        "Every score run of the campaign (analysts and admins)",
        _ok("the runs, newest first", "RunList"),
        extra=FORBIDDEN,
    ),
    "/openapi.json": {
        "get": {
            "summary": "This description",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 document",
                    "content": {"application/json": {"schema": {}}},
                },
                "429": COMMON_ERRORS["429"],
            },
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Integrity survey API",
            "version": "1",
            "summary": "Read-only access to campaigns and their results",
            "description": (
                "Authenticate with `Authorization: Bearer <token>` (tokens are created in the console under "
                "API tokens). A token acts with its account's role and institutions. Cells with fewer "
                "respondents than the campaign's min_cell, and the cells withheld so that those cannot be "
                "recomputed, carry no numbers; figures are rounded to one decimal. See docs/api.md. "
                f"Software version {software_version()}."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": copy.deepcopy(PATHS),
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
