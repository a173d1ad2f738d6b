"""``affectation appariement``: run, check, audit and explain an appariement (R-APP).

``affectation appariement INSTANCE --out resultat.xlsx [--methode cpsat]`` runs it (the
subcommand ``lancer`` is implied); ``verifier``, ``audit``, ``expliquer`` are subcommands.
Exit status as the rest of the command line: 0 done, 2 bad input (every problem listed,
nothing written), 1 no matching found or a result that breaks the rules, 3 an audit finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from affectation.appariement import METHODES
from affectation.appariement.model import AppariementError, Decision

__all__ = ["appariement"]


class _DefaultGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, runs ``lancer``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["lancer", *args]
        return super().parse_args(ctx, args)


def _fail(error: AppariementError) -> None:
    click.echo(f"erreur : {error}", err=True)
    sys.exit(2)


def _load(path: str):
    from affectation.appariement.io import load_appariement

    try:
        return load_appariement(path)
    except AppariementError as error:
        _fail(error)


def _load_result(path: str):
    from affectation.appariement.io import load_resultat

    try:
        return load_resultat(path)
    except AppariementError as error:
        _fail(error)


@click.group("appariement", cls=_DefaultGroup, invoke_without_command=False)
def appariement() -> None:
    """Appariement des docteurs juniors (phase de consolidation, R-APP).

    affectation appariement INSTANCE --out resultat.xlsx [--methode cpsat]
    """


def summary(result, instance) -> str:
    """The short French summary printed after a run."""
    zip_ids = {t.id for t in instance.terrains if t.zip}
    placed_zip = sum(1 for a in result.affectations if a.terrain in zip_ids)
    rows = [
        ("méthode", result.methode), ("tour", str(result.tour)),
        ("DJ", str(len(result.affectations))),
        ("placés par l'appariement", str(result.taille)),
        ("reconduits", str(sum(1 for a in result.affectations if a.reconduction))),
        ("non placés", str(sum(1 for a in result.affectations if a.terrain is None))),
        ("somme des rangs de vœu", str(result.somme_rangs)),
        ("postes vacants", str(sum(result.vacants.values()))),
        ("postes ZIP pourvus / vacants",
         f"{placed_zip} / {sum(v for t, v in result.vacants.items() if t in zip_ids)}"),
        ("paires bloquantes", str(len(result.instables))),
    ]
    if result.solveur:
        rows.append(("solveur", f"{result.solveur['statut']}"
                     + (" (optimal prouvé)" if result.solveur.get("optimal") else "")))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _decisions(values: tuple[str, ...]) -> list[Decision]:
    out = []
    for value in values:
        dj, sep, rest = value.partition("=")
        terrain, _, motif = rest.partition(":")
        if not sep or not dj or not terrain:
            click.echo(f"erreur : --decision {value!r} : attendu DJ=TERRAIN[:motif]", err=True)
            sys.exit(2)
        out.append(Decision(dj.strip(), terrain.strip(), motif.strip()))
    return out


@appariement.command("lancer")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Résultat : .json (le contrat) ou .xlsx (avec les noms).")
@click.option("--methode", type=click.Choice(METHODES), default="acceptation-differee",
              show_default=True)
@click.option("--graine", type=int, default=0, show_default=True,
              help="Graine du tirage au sort des ex aequo (et de CP-SAT).")
@click.option("--tour", type=click.IntRange(1, 3), default=1, show_default=True,
              help="2 : sur les postes vacants après --apres (ou un fichier « tour »: 2 dont "
                   "les postes sont les vacants) ; 3 : décisions de l'ARS.")
@click.option("--apres", type=click.Path(dir_okay=False), default=None,
              help="Le résultat du tour précédent (tours 2 et 3).")
@click.option("--decision", "decisions", multiple=True, metavar="DJ=TERRAIN[:motif]",
              help="Tour 3 : une décision de l'ARS (répétable).")
@click.option("--time-limit", type=float, default=None, help="Limite de temps CP-SAT (s).")
@click.option("--workers", type=int, default=1, show_default=True)
def lancer(instance: str, out: str | None, methode: str, graine: int, tour: int,
           apres: str | None, decisions: tuple[str, ...], time_limit: float | None,
           workers: int) -> None:
    """Lancer l'appariement d'INSTANCE (JSON, dossier CSV ou classeur .xlsx)."""
    from affectation.appariement import apparier
    from affectation.appariement.exact import NoMatching
    from affectation.appariement.io import result_writer
    from affectation.appariement.rounds import check_round2_lists, decider, fusionner, tour2
    from affectation.cli import guard_out, write_out

    if out is not None and not out.lower().endswith((".json", ".xlsx")):
        click.echo(f"erreur : --out {out} : attendu un fichier .json ou .xlsx", err=True)
        sys.exit(2)
    inputs = [instance, *([apres] if apres else [])]
    guard_out(out, *inputs)
    if tour == 3 and apres is None:
        click.echo("erreur : --tour 3 demande --apres RESULTAT_DU_TOUR_2", err=True)
        sys.exit(2)
    loaded = _load(instance)
    previous = _load_result(apres) if apres else None
    tour = max(tour, loaded.tour)  # a file of round 2 runs as round 2
    options = {"seed": graine}
    if methode == "cpsat":
        options |= {"time_limit": time_limit, "workers": workers}
    try:
        if tour == 3:
            result = decider(loaded, previous, _decisions(decisions))
        elif tour == 2 and previous is None:  # the file's postes are the vacant ones
            check_round2_lists(loaded)
            result = apparier(loaded, methode, **options)
        elif tour == 2:
            second = tour2(loaded, previous)
            result = fusionner(previous, apparier(second, methode, **options))
        else:
            result = apparier(loaded, methode, **options)
    except AppariementError as error:
        _fail(error)
    except NoMatching as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(1)
    click.echo(summary(result, loaded))
    if out is not None:
        write_out(out, result_writer(result, loaded, Path(out).suffix.lower()), *inputs)


@appariement.command("verifier")
@click.argument("instance", type=click.Path(exists=False))
@click.argument("resultat", type=click.Path(exists=False))
@click.option("--apres", type=click.Path(dir_okay=False), default=None,
              help="Le résultat du tour 1, pour vérifier un résultat du tour 2.")
def verifier_command(instance: str, resultat: str, apres: str | None) -> None:
    """Vérifier RESULTAT (de n'importe quel outil) contre INSTANCE. Code 0 : conforme ;
    1 : des violations, listées ; 2 : fichier refusé."""
    from affectation.appariement.check import verifier

    loaded = _load(instance)
    result = _load_result(resultat)
    previous = _load_result(apres) if apres else None
    try:
        violations = verifier(loaded, result, previous)
    except AppariementError as error:
        _fail(error)
    if not violations:
        click.echo(f"conforme : {len(result.affectations)} DJ, aucune violation des règles.")
        sys.exit(0)
    click.echo(f"{len(violations)} violation(s) :")
    for violation in violations:
        click.echo(f"- {violation}")
    sys.exit(1)


@appariement.command("audit")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Le rapport en JSON.")
def audit_command(instance: str, out: str | None) -> None:
    """Auditer INSTANCE avant l'appariement. Code 0 : rien à décider ; 3 : une décision
    requise (R-APP-2/3…) ; 2 : fichier refusé."""
    from affectation.appariement.audit import auditer
    from affectation.appariement.io import dumps
    from affectation.cli import guard_out, write_out

    if out is not None and not out.lower().endswith(".json"):
        click.echo(f"erreur : --out {out} : attendu un fichier .json", err=True)
        sys.exit(2)
    guard_out(out, instance)
    report = auditer(_load(instance))
    click.echo(str(report))
    if out is not None:
        data = dumps(report.to_dict())
        write_out(out, lambda temp: temp.write_bytes(data), instance)
    sys.exit(report.exit_status)


@appariement.command("expliquer")
@click.argument("instance", type=click.Path(exists=False))
@click.argument("resultat", type=click.Path(exists=False))
@click.argument("ident")
def expliquer_command(instance: str, resultat: str, ident: str) -> None:
    """Expliquer à un DJ (IDENT = son identifiant) son résultat vœu par vœu, ou pourquoi les
    postes d'un terrain (IDENT = le terrain) sont vacants."""
    from affectation.appariement.explain import expliquer_dj, expliquer_terrain

    loaded = _load(instance)
    result = _load_result(resultat)
    if ident in loaded.dj_by_id and any(a.dj == ident for a in result.affectations):
        click.echo(expliquer_dj(loaded, result, ident))
    elif ident in loaded.terrain_by_id:
        click.echo(expliquer_terrain(loaded, result, ident))
    else:
        click.echo(f"erreur : {ident} : ni un DJ du résultat ni un terrain de l'appariement",
                   err=True)
        sys.exit(2)


@appariement.command("whatif")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--zip", "zip_postes", type=click.IntRange(min=1), default=None,
              help="Ouvrir N postes de plus en ZIP (sur les terrains ZIP les plus demandés).")
@click.option("--terrain", default=None, help="Ouvrir --postes N de plus sur ce terrain.")
@click.option("--msu", default=None, help="Ouvrir --postes N de plus sur le terrain de ce MSU.")
@click.option("--postes", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--methode", type=click.Choice(METHODES), default="acceptation-differee",
              show_default=True)
def whatif_command(instance: str, zip_postes: int | None, terrain: str | None,
                   msu: str | None, postes: int, methode: str) -> None:
    """Et si l'on ouvrait des postes ? Compare DJ placés, rangs de vœu et postes ZIP pourvus."""
    from affectation.appariement.whatif import comparer, ouvrir

    loaded = _load(instance)
    try:
        if zip_postes is not None:
            variant = ouvrir(loaded, zip_postes, zip=True)
        else:
            variant = ouvrir(loaded, postes, terrain=terrain, msu=msu)
    except ValueError as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(2)
    click.echo(str(comparer(loaded, variant, methode)))


@appariement.command("preappariement")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--tirages", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--graine", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processus (1 : dans ce processus).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Les probabilités en JSON (DJ → terrain → probabilité).")
def preappariement_command(instance: str, tirages: int, graine: int, workers: int,
                           out: str | None) -> None:
    """Pré-appariement du syndicat : les listes vides (DJ) et classements vides (terrains)
    sont tirés au sort ; la probabilité de chaque DJ pour chaque terrain."""
    from affectation.appariement.io import dumps
    from affectation.appariement.whatif import preappariement
    from affectation.cli import guard_out, write_out

    guard_out(out, instance)
    loaded = _load(instance)
    pool = None
    executor: object = "inline"
    if workers > 1:
        import concurrent.futures

        pool = executor = concurrent.futures.ProcessPoolExecutor(workers)
    try:
        result = preappariement(loaded, tirages, seed=graine, executor=executor)
    finally:
        if pool is not None:
            pool.shutdown()
    for dj in loaded.docteurs_juniors[:20]:
        best = ", ".join(f"{t or 'aucun'} {p:.0%}" for t, p in result.pour(dj.id)[:3])
        click.echo(f"{dj.label()} : {best}")
    if len(loaded.docteurs_juniors) > 20:
        click.echo(f"… ({len(loaded.docteurs_juniors)} DJ ; tout le détail avec --out)")
    if out is not None:
        doc = {"format": "affectation-preappariement/1", "tirages": tirages, "graine": graine,
               "probabilites": {dj: {t or "aucun": p for t, p in probs.items()}
                                for dj, probs in result.probabilites.items()}}
        data = dumps(doc)
        write_out(out, lambda temp: temp.write_bytes(data), instance)
