"""Jupyter displays of the live day and of the appariement: French, names beside ids, escaped
(issue 18, item 8)."""

from __future__ import annotations

import attrs

from affectation import datasets
from affectation.appariement import apparier
from affectation.appariement.audit import auditer
from affectation.appariement.generate import generate
from affectation.appariement.whatif import comparer, ouvrir, preappariement
from affectation.live import ChoiceDay
from affectation.model import DEFAULT_ROUND

PAYLOAD = "<script>x</script>"


def _named_example():
    instance = datasets.example()
    internes = tuple(attrs.evolve(i, nom=f"{PAYLOAD}{k}", prenom="Léa")
                     for k, i in enumerate(instance.internes))
    return attrs.evolve(instance, internes=internes)


def test_the_choice_day_shows_who_is_called_and_the_last_choices_by_name():
    instance = _named_example()
    day = ChoiceDay.open(instance)
    first = instance.interne(day.current.internes[0])
    assert first.libelle in repr(day) and "appelé(e)" in repr(day)
    day.by_procuration()
    day.by_procuration()
    day.undo()
    page = day._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    n = len(instance.internes)
    assert "Journée de choix" in page and f"1 interne(s) placé(s) sur {n}" in page
    chosen = day.placed[first.id].terrain
    terrain = instance.terrain(chosen)
    escaped = first.libelle.replace("<", "&lt;").replace(">", "&gt;")
    assert f"<td>{escaped}</td><td>{terrain.nom} ({terrain.id})</td><td>procuration</td>" in page
    # the undone choice is not among the choices in effect
    assert page.count("<td>procuration</td>") == 1
    assert "Terrains avec des postes libres" in page


def test_a_finished_day_says_so():
    instance = datasets.example()
    day = ChoiceDay.open(instance)
    while not day.done:
        day.by_procuration()
    assert "journée terminée" in repr(day)
    assert "Journée terminée" in day._repr_html_()


def _appariement():
    instance = generate(30, 40, voeux=4, seed=0, zip_share=0.25)
    djs = [attrs.evolve(d, nom=PAYLOAD, prenom="Léa") if k == 0 else d
           for k, d in enumerate(instance.docteurs_juniors)]
    return attrs.evolve(instance, docteurs_juniors=djs)


def test_the_appariement_result_shows_ids_alone_or_names_with_the_instance():
    instance = _appariement()
    result = apparier(instance, seed=0)
    alone = result._repr_html_()
    assert "Appariement (acceptation-differee), tour 1" in alone
    assert "somme des rangs de vœu" in alone and "resultat.vue(instance)" in alone
    first = instance.docteurs_juniors[0]
    assert f"<td>{first.id}</td>" in alone and "Léa" not in alone
    named = result.vue(instance)._repr_html_()
    assert "<script>" not in named and f"{first.id} (Léa &lt;script&gt;x&lt;/script&gt;)" in named
    terrain = instance.terrain_by_id[result.terrain_of()[first.id]]
    assert terrain.label() in named and "vue(instance)" not in named


def test_the_audit_comparison_and_preappariement_show_tables_in_french():
    instance = _appariement()
    report = auditer(instance)
    page = report._repr_html_()
    assert page.startswith("<h4>Audit de l&#x27;appariement")
    assert all(f.code in page for f in report.findings)
    comparison = comparer(instance, ouvrir(instance, 3, zip=True))
    page = comparison._repr_html_()
    assert "<th>variante</th>" in page and "DJ dont le terrain change" in page
    pre = preappariement(instance, 5, seed=0)
    page = pre._repr_html_()
    assert "Pré-appariement : 30 DJ, 5 tirages" in page
    assert "<script>" not in page
    assert any(d.label() in page for d in instance.docteurs_juniors[1:])


def test_the_instance_and_result_tables_are_french_with_names():
    from affectation import solve

    instance = _named_example()
    page = instance._repr_html_()
    n = len(instance.internes)
    assert f"Internes : 10 premiers sur {n}" in page and "<th>Semestres validés</th>" in page
    assert "<script>" not in page and "Léa (I0" in page
    result = solve(instance)
    page = result._repr_html_()
    assert "<h4>Résultat (serial)</h4>" in page
    assert f"Affectations : 10 premières sur {n}, dans l'ordre du choix" in page


def test_a_couple_s_turn_shows_both_names_and_both_terrains():
    # one round: in the example's ambulatory round a couple may find no pair and no poste
    instance = attrs.evolve(_named_example(), rounds=(DEFAULT_ROUND,))
    day = ChoiceDay.open(instance)
    while not day.current.couple:
        day.by_procuration()
    first, second = (instance.interne(i) for i in day.current.internes)
    assert f"{first.libelle} et {second.libelle}" in repr(day)
    day.by_procuration()
    a, b = (instance.terrain(day.placed[i.id].terrain) for i in (first, second))
    page = day._repr_html_()
    names = f"{first.libelle} et {second.libelle}".replace("<", "&lt;").replace(">", "&gt;")
    assert (f"<td>{names}</td><td>{a.nom} ({a.id}) et {b.nom} ({b.id})</td>"
            "<td>procuration</td>") in page
