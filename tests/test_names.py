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
        attrs.evolve(i, nom=f"Nom{k}", prenom="Léa") if k % 2 else i
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
