"""Names of internes (FORMAT.md ``internes[].nom``, ``prenom``): read, written, never a rule."""

from __future__ import annotations

import attrs
import pytest

from affectation import datasets, solve
from affectation.errors import InstanceError
from affectation.io import (
    instance_from_dict,
    instance_to_dict,
    load_csv,
    load_excel,
    save_csv,
    save_excel,
)


def _named(instance):
    internes = tuple(
        attrs.evolve(i, nom=f"Nom{k}", prenom="Léa") if k % 2
        else attrs.evolve(i, nom=None, prenom=None)
        for k, i in enumerate(instance.internes)
    )
    return attrs.evolve(instance, internes=internes)


def test_names_survive_json_csv_and_excel(tmp_path):
    instance = _named(datasets.example())
    assert instance_from_dict(instance_to_dict(instance)) == instance
    save_csv(instance, tmp_path / "csv")
    assert load_csv(tmp_path / "csv") == instance
    save_excel(instance, tmp_path / "x.xlsx")
    assert load_excel(tmp_path / "x.xlsx") == instance
    assert instance.internes[1].libelle == f"Nom1 Léa ({instance.internes[1].id})"
    assert instance.internes[0].libelle == instance.internes[0].id


@pytest.mark.parametrize("bad", ["", " ", " Martin", "Martin ", 3])
def test_a_name_with_surrounding_spaces_is_refused(bad):
    doc = instance_to_dict(datasets.example())
    doc["internes"][0]["nom"] = bad
    with pytest.raises(InstanceError, match="nom"):
        instance_from_dict(doc)


def test_names_are_never_used_by_a_rule():
    instance = datasets.example()
    assert solve(_named(instance)).affectations == solve(instance).affectations


def test_the_arrete_shows_names_beside_ids(tmp_path):
    from affectation.io import save_result
    from affectation.io.arrete import result_tables

    instance = _named(datasets.example())
    result = solve(instance)
    tables = result_tables(result, instance)
    header, rows = tables["affectations"]
    by_id = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    for interne in instance.internes:
        assert (by_id[interne.id]["Nom"], by_id[interne.id]["Prénom"]) == (
            interne.nom, interne.prenom)
    header, rows = tables["par_terrain"]
    named = {row[3]: row[4] for row in rows}
    assert named == {i.id: i.nom for i in instance.internes if i.id in named}
    save_result(result, tmp_path / "r.csv", instance=instance)
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    second = instance.interne(result.ordre[0])
    assert f"{second.id};{second.nom or ''};{second.prenom or ''};" in text


def test_lazy_exports_are_importable_and_not_loaded_by_import():
    import subprocess
    import sys

    code = ("import sys, affectation; heavy = ['affectation.audit', 'affectation.prechoix', "
            "'affectation.cohort', 'affectation.live', 'affectation.appariement']; "
            "print([m for m in heavy if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    import affectation
    from affectation import ChoiceDay, audit, example, plan_postes, prechoix, simulate

    assert callable(audit) and callable(prechoix) and callable(plan_postes)
    assert callable(simulate) and ChoiceDay.__name__ == "ChoiceDay"
    assert example().internes
    assert {"audit", "ChoiceDay", "simulate"} <= set(dir(affectation))
