"""Institutions and units in the console: create, edit, the unit tree, CSV import (all or nothing), scope."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Institution, Unit
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of


def _post(client: FlaskClient, url: str, form_url: str | None = None, **data: Any) -> Any:
    page = client.get(form_url or url)
    return client.post(url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **data})


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    assert unit is not None
    return unit


def test_admin_creates_an_institution_and_its_unit_tree(client: FlaskClient) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")
    created = _post(client, "/admin/institutions/new", code="KOTA-BOGOR", name="Pemerintah Kota Bogor")
    assert created.status_code == 302
    assert created.headers["Location"].endswith("/admin/institutions/KOTA-BOGOR")
    top = _post(
        client, "/admin/institutions/KOTA-BOGOR/units/new", code="SETDA", name="Sekretariat", parent=""
    )
    assert top.status_code == 302
    setda = _unit("SETDA")
    child = _post(
        client,
        "/admin/institutions/KOTA-BOGOR/units/new",
        code="DINKES",
        name="Dinas Kesehatan",
        parent=str(setda.id),
        population_size="420",
    )
    assert child.status_code == 302
    dinkes = _unit("DINKES")
    assert (dinkes.parent_id, dinkes.population_size) == (setda.id, 420)
    page = client.get("/admin/institutions/KOTA-BOGOR").get_data(as_text=True)
    assert page.index("SETDA") < page.index("— ")  # the child is indented under its parent

    # The parent list of a unit leaves out the unit and everything under it (no cycles).
    form = client.get("/admin/institutions/KOTA-BOGOR/units/SETDA").get_data(as_text=True)
    assert f'value="{dinkes.id}"' not in form
    assert f'value="{setda.id}"' not in form
    renamed = _post(
        client,
        "/admin/institutions/KOTA-BOGOR/units/DINKES",
        code="DINKES",
        name="Dinas Kesehatan Kota",
        parent=str(setda.id),
        population_size="",
    )
    assert renamed.status_code == 302
    db.session.refresh(dinkes)
    assert (dinkes.name, dinkes.population_size) == ("Dinas Kesehatan Kota", None)
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == ["institution.create", "unit.create", "unit.create", "unit.edit"]


def test_bad_unit_input_is_reported(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")
    clash = _post(client, "/admin/institutions/KOTA/units/new", code="SETDA", name="Again", parent="")
    assert clash.status_code == 400
    assert "has a unit with this code already" in clash.get_data(as_text=True)
    negative = _post(client, "/admin/institutions/KOTA/units/new", code="X", name="X", population_size="-3")
    assert negative.status_code == 400
    assert "Population size" in negative.get_data(as_text=True)
    duplicate = _post(client, "/admin/institutions/new", code="KOTA", name="Again")
    assert "exists already" in duplicate.get_data(as_text=True)


def test_csv_import_is_all_or_nothing(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")
    header = "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
    bad = header + "KAB,Kabupaten Uji,SETDA,Sekretariat,,100\nKAB,Kabupaten Uji,DINAS,Dinas,SETDA,lots\n"
    reply = _post(
        client,
        "/admin/institutions/import",
        form_url="/admin/institutions/",
        csv_file=(io.BytesIO(bad.encode()), "units.csv"),
    )
    assert reply.status_code == 302
    page = client.get("/admin/institutions/").get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "units.csv, line 3: population_size" in page
    assert db.session.scalar(select(Institution).where(Institution.code == "KAB")) is None

    good = header + "KAB,Kabupaten Uji,SETDA,Sekretariat,,100\nKAB,Kabupaten Uji,DINAS,Dinas,SETDA,\n"
    _post(
        client,
        "/admin/institutions/import",
        form_url="/admin/institutions/",
        csv_file=(io.BytesIO(good.encode("utf-8-sig")), "units.csv"),
    )
    page = client.get("/admin/institutions/").get_data(as_text=True)
    assert "1 new institution(s), 2 new unit(s)" in page
    assert _unit("DINAS").parent_id is not None


def test_scoped_admin_sees_and_imports_only_their_institutions(client: FlaskClient, spi: Survey) -> None:
    db.session.add(Institution(code="OTHER", name="Other"))
    db.session.commit()
    make_user("admin", ["KOTA"], email="kota-admin@example.org")
    login(client, "kota-admin@example.org")
    client.get("/admin/?lang=en")
    listing = client.get("/admin/institutions/").get_data(as_text=True)
    assert "KOTA" in listing
    assert "OTHER" not in listing
    assert client.get("/admin/institutions/OTHER").status_code == 404
    assert client.get("/admin/institutions/new").status_code == 403
    header = "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
    _post(
        client,
        "/admin/institutions/import",
        form_url="/admin/institutions/",
        csv_file=(io.BytesIO((header + "OTHER,Other,U1,Unit,,\n").encode()), "other.csv"),
    )
    assert "outside your scope: OTHER" in client.get("/admin/institutions/").get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.code == "U1")) is None
