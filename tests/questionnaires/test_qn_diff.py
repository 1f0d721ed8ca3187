"""questionnaires.diff: items added, removed, changed (per attribute), moved; sections reordered."""

from __future__ import annotations

import copy
from typing import Any

from questionnaires.bundled import load_bundled_questionnaire
from questionnaires.diff import Change, diff_questionnaires
from questionnaires.model import Questionnaire


def _base() -> tuple[Questionnaire, dict[str, Any]]:
    q = load_bundled_questionnaire("spi-internal")
    return q, copy.deepcopy(q.to_dict())


def test_identical_versions_have_no_differences() -> None:
    q, _ = _base()
    d = diff_questionnaires(q, q)
    assert d.is_empty
    assert (d.added, d.removed, d.changed, d.sections_reordered) == ((), (), (), None)


def test_added_removed_changed_and_reordered() -> None:
    old, data = _base()
    data["version"] = "2025.1"
    first = data["sections"][0]["items"]
    first[0]["label"]["en"] = "New English wording"
    first[0]["required"] = False
    first[1]["scoring"] = None
    removed = first.pop(2)
    new_item = copy.deepcopy(first[0]) | {"id": "tr_new_item"}
    first.append(new_item)
    data["sections"][1], data["sections"][2] = data["sections"][2], data["sections"][1]
    new = Questionnaire.from_dict(data)

    d = diff_questionnaires(old, new)

    assert not d.is_empty
    assert d.old_version == "2024.2"
    assert d.new_version == "2025.1"
    assert d.added == (("transparansi", "tr_new_item"),)
    assert d.removed == (("transparansi", removed["id"]),)
    by_item = {c.item_id: c.changes for c in d.changed}
    assert set(by_item) == {"tr_info_layanan", "tr_info_pengadaan"}
    label = old.item("tr_info_layanan").label["en"]
    assert Change("label[en]", label, "New English wording") in by_item["tr_info_layanan"]
    assert Change("required", "yes", "no") in by_item["tr_info_layanan"]
    assert [c.what for c in by_item["tr_info_pengadaan"]] == ["scoring"]
    assert by_item["tr_info_pengadaan"][0].new == "not scored"
    assert d.sections_reordered is not None
    before, after = d.sections_reordered
    assert before[1:3] == ("integritas_tugas", "pengadaan")
    assert after[1:3] == (
        "pengadaan",
        "integritas_tugas",
    )


def test_scale_options_relevance_and_moves() -> None:
    old, data = _base()
    data["version"] = "2025.2"
    scale = data["sections"][0]["items"][0]["scale"]
    data["scales"][scale]["options"][0]["label"]["id"] = "Sangat tidak setuju sekali"
    data["scales"][scale]["options"][0]["value"] = 5.0
    moving = data["sections"][0]["items"].pop()
    data["sections"][-1]["items"].insert(0, moving)
    new = Questionnaire.from_dict(data)

    d = diff_questionnaires(old, new)

    assert (moving["id"], "transparansi", data["sections"][-1]["id"]) in d.moved
    changes = {c.what for ic in d.changed for c in ic.changes}
    assert "scale" in changes
    assert any(w.startswith("option ") and w.endswith("[id]") for w in changes)
    assert d.sections_reordered is None
