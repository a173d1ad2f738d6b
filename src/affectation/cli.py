"""The ``affectation`` command line: solve, validate, check, explain, demo, exemple, whatif,
prechoix, audit, live (and plan, simulate for several semesters; appariement).

Everything it prints is French (``--lang en`` or ``AFFECTATION_LANG=en`` for English: see
:mod:`affectation.langue`). Exit status: 0 when fine, 2 for bad input (every problem listed,
nothing written), 1 for a solve that found no allocation (user constraints in conflict) or a
result that breaks the rules (``check``), 3 for an audit with a finding that needs a decision.
The library's errors become exit statuses and messages in one place, :data:`EXIT_STATUS` and
the group's ``invoke`` (the error boundary): a command raises, it never prints an error itself.
These commands and the JSON formats are a contract other tools rely on (FORMAT.md).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from affectation.engines import METHODS
from affectation.errors import AffectationError, InstanceError, NoAllocation
from affectation.langue import LANGUES, set_langue, t
from affectation.model import Instance
from affectation.result import Result

__all__ = ["EXIT_STATUS", "CliError", "error_text", "exit_status", "guard_out", "main",
           "write_json_out", "write_out"]


class CliError(AffectationError):
    """A command line that cannot run as given (an option, an ``--out``): exit 2, nothing
    written. The message is French, like every error's."""

    code = "E-COMMANDE"


EXIT_STATUS: tuple[tuple[str, str, int], ...] = (
    ("affectation.errors", "NoAllocation", 1),
    ("affectation.compare", "CompareError", 1),
    ("affectation.errors", "SweepError", 1),
    ("affectation.errors", "InstanceError", 2),
    ("affectation.io._files", "OutputError", 2),
    ("affectation.errors", "ScenarioError", 2),
    ("affectation.live.journal", "JournalError", 2),
    ("affectation.cli", "CliError", 2),
)
"""(module, error class, exit status), first match wins; any other
:class:`~affectation.errors.AffectationError` is bad input (2). A module not imported cannot
have raised its error, so the table imports nothing."""


def exit_status(error: BaseException) -> int:
    """The exit status of a library error (:data:`EXIT_STATUS`)."""
    for module, name, status in EXIT_STATUS:
        kind = getattr(sys.modules.get(module), name, None)
        if kind is not None and isinstance(error, kind):
            return status
    return 2


def error_text(error: BaseException) -> str:
    """What the command line prints for a library error, after ``erreur :``."""
    if isinstance(error, NoAllocation):
        info = error.info
        status = str(getattr(info.status, "value", info.status))
        if t("fr", "en") == "fr":
            return str(error)
        text = f"no allocation found (solver status {status})"
        if info.conflict:
            text += f"; rule groups in conflict: {', '.join(info.conflict)}"
        if getattr(info, "drop", ()):
            text += f"; fewest user constraints to drop: {', '.join(info.drop)}"
        if status == "UNKNOWN":
            text += ", try a longer --time-limit"
        return text
    from affectation.io._files import OutputError

    if isinstance(error, OutputError):
        return f"--out {error}"
    return str(error)


class _Main(click.Group):
    """The ``affectation`` group, and the error boundary of every command under it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AffectationError as error:
            click.echo(f"{t('erreur', 'error')} : {error_text(error)}", err=True)
            sys.exit(exit_status(error))


def _load(path: str) -> Instance:
    from affectation.io import load_instance

    return load_instance(path)


def _run(instance: Instance, method: str, time_limit: float | None, workers: int,
         seed: int, source: str) -> Result:
    """One solve through the engine registry (NoAllocation: exit 1 at the boundary)."""
    from affectation.engines import solve

    try:
        return solve(instance, method, time_limit=time_limit, workers=workers, seed=seed)
    except InstanceError as error:
        raise error.with_file(source) from None


def summary_table(result: Result) -> str:
    """The short summary printed after a solve."""
    from affectation.metrics import format_value, label

    rows = [(t("méthode", "method"), result.methode)] + [
        (label(key), format_value(key, value)) for key, value in result.summary().items()
    ]
    if result.info is not None and result.methode != "serial":
        info = result.info
        rows += [
            (t("statut du solveur", "solver status"),
             info.status + (t(" (optimal prouvé)", " (proven optimal)") if info.optimal
                            else "")),
            (t("temps (s)", "time (s)"), f"{info.wall_time:.2f}"),
            (t("variables / contraintes", "variables / constraints"),
             f"{info.variables} / {info.constraints}"),
        ]
        if info.conflict:
            rows.append((t("groupes en conflit", "groups in conflict"),
                         ", ".join(info.conflict)))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="affectation")
@click.option("--lang", type=click.Choice(LANGUES), default=None,
              help="Langue des messages (défaut : AFFECTATION_LANG, sinon fr).")
def main(lang: str | None) -> None:
    """Choix de stages du DES de médecine générale : rejouer, résoudre, vérifier, simuler."""
    set_langue(lang)


# --- outputs: the guard every --out goes through ---------------------------------------------


def guard_out(out: str | None, *inputs: str, folder: bool = False,
              replaceable: tuple[str, ...] = ()) -> None:
    """Refuse, with exit 2 and before any work, an ``--out`` that is an input (any spelling),
    lies inside an input folder, is not a regular file (or, with ``folder``, not a folder the
    library wrote), or sits in a missing or read-only folder (io/_files.py: check_output)."""
    if out is None:
        return
    from affectation.io._files import check_output

    check_output(out, inputs, folder=folder, replaceable=replaceable)


def write_out(out: str, write: Callable[[Path], None], *inputs: str, folder: bool = False,
              replaceable: tuple[str, ...] = ()) -> None:
    """The guard of :func:`guard_out`, then ``write(temp)`` put in place atomically; any
    failure (full disk, permissions) is exit 2 with a message and leaves nothing behind."""
    from affectation.io._files import write_output

    write_output(out, write, inputs=inputs, folder=folder, replaceable=replaceable)
    click.echo(f"{t('écrit', 'written')} : {out}")


def write_json_out(out: str, doc: Any, *inputs: str) -> None:
    """A JSON report (``whatif --out`` and the like) through :func:`write_out`."""
    from affectation.io import dumps

    data = dumps(doc)
    write_out(out, lambda temp: temp.write_bytes(data), *inputs)


def _result_target(out: str | None, *inputs: str) -> str | None:
    """The kind of result file ``out`` asks for (json, xlsx, csv, folder), checked before
    solving: an unknown extension or an unsafe target is exit 2."""
    if out is None:
        return None
    from affectation.io import RESULT_FILES, result_kind

    kind = result_kind(out)
    guard_out(out, *inputs, folder=kind == "folder",
              replaceable=RESULT_FILES if kind == "folder" else ())
    return kind


def write_result_out(result: Result, out: str, kind: str, instance: Instance, *inputs: str,
                     csv_dialect: str = "excel-fr") -> None:
    """Write ``result`` to ``out`` by its kind (io.save_result), exit 2 on failure."""
    from affectation.io import RESULT_FILES, write_result

    folder = kind == "folder"
    write_out(out, lambda temp: write_result(result, temp, kind, instance=instance,
                                             csv_dialect=csv_dialect),
              *inputs, folder=folder, replaceable=RESULT_FILES if folder else ())


OUT_HELP = ("Résultat : .json (FORMAT.md), .xlsx (l'arrêté : affectations, par terrain, postes, "
            "impositions), .csv (les affectations) ou un dossier de fichiers CSV ; écrit en "
            "entier ou pas du tout, jamais sur une entrée.")


def _save_plot(path: str, figure, *inputs: str) -> None:
    """A figure to ``path`` (.png, .svg or .pdf), whole or not at all, never over an input."""
    fmt = Path(path).suffix.lower().lstrip(".")
    write_out(path, lambda temp: figure.savefig(temp, format=fmt, dpi=120), *inputs)


PLOT_HELP = "Écrire aussi la figure (FICHIER.png, .svg ou .pdf)."


def _check_plot(path: str | None, *inputs: str) -> None:
    if path is None:
        return
    if Path(path).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise CliError(t(f"--plot {path} : attendu un fichier .png, .svg ou .pdf",
                         f"--plot {path}: expected a .png, .svg or .pdf file"))
    guard_out(path, *inputs)


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--method", type=click.Choice(METHODS), default="serial", show_default=True,
              help="serial : le jour du choix rejoué ; cpsat : le modèle exact.")
@click.option("--out", "out", type=click.Path(), default=None, help=OUT_HELP)
@click.option("--csv-dialect", type=click.Choice(["excel-fr", "plain"]), default="excel-fr",
              show_default=True,
              help="Résultats CSV : excel-fr = ';' et UTF-8 avec BOM ; plain = ',' sans BOM.")
@click.option("--time-limit", type=float, default=None, help="Limite de temps CP-SAT (s).")
@click.option("--workers", type=int, default=1, show_default=True, help="Fils CP-SAT.")
@click.option("--seed", type=int, default=0, show_default=True, help="Graine CP-SAT.")
def solve(instance: str, method: str, out: str | None, csv_dialect: str,
          time_limit: float | None, workers: int, seed: int) -> None:
    """Affecter les postes d'INSTANCE (fichier JSON, dossier CSV ou classeur .xlsx)."""
    kind = _result_target(out, instance)
    loaded = _load(instance)
    result = _run(loaded, method, time_limit, workers, seed, instance)
    click.echo(summary_table(result))
    if out is not None and kind is not None:
        write_result_out(result, out, kind, loaded, instance, csv_dialect=csv_dialect)


@main.command()
@click.argument("instance", type=click.Path(exists=False))
def validate(instance: str) -> None:
    """Vérifier INSTANCE contre le contrat de fichier ; code 2 et tous les problèmes sinon."""
    loaded = _load(instance)
    postes = sum(terrain.postes for terrain in loaded.terrains)
    maquettes = f"maquette {loaded.maquette.nom}"
    if loaded.mixed_maquettes:  # R-MAQ-5: how many internes follow each maquette
        counts = Counter(loaded.maquette_of(i).nom for i in loaded.internes)
        maquettes = "maquettes " + ", ".join(f"{nom} ({n})" for nom, n in counts.items())
    click.echo(t(
        f"conforme : {len(loaded.internes)} internes, {len(loaded.terrains)} terrains, "
        f"{postes} postes, {len(loaded.couples)} couple(s), {maquettes}",
        f"OK: {len(loaded.internes)} internes, {len(loaded.terrains)} terrains, {postes} postes, "
        f"{len(loaded.couples)} couples, {maquettes}",
    ))


@main.command("check")
@click.argument("instance", type=click.Path(exists=False))
@click.argument("result", type=click.Path(exists=False))
def check_command(instance: str, result: str) -> None:
    """Vérifier RESULT (un résultat FORMAT.md, de n'importe quel outil) contre les règles.

    Code 0 quand c'est l'affectation que donnent les règles, 1 avec chaque violation (règle,
    interne, terrain, ce qui ne va pas), 2 quand un fichier est illisible.
    """
    from affectation.check import check
    from affectation.io import load_result

    loaded = _load(instance)
    other = load_result(result)
    violations = check(loaded, other)
    if not violations:
        click.echo(t(f"conforme : {result} suit les règles pour {instance} "
                     f"({len(other.affectations)} internes, méthode {other.methode})",
                     f"OK: {result} follows the rules for {instance} "
                     f"({len(other.affectations)} internes, method {other.methode})"))
        return
    click.echo(t(f"{len(violations)} violation(s) des règles dans {result} :",
                 f"{len(violations)} violation(s) of the rules in {result}:"))
    for violation in violations:
        click.echo(f"  {violation.line(loaded)}")
    sys.exit(1)


def _suggest(wanted: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(wanted, list(known), n=1)
    return t(f" ; vouliez-vous dire {close[0]!r} ?", f"; did you mean {close[0]!r}?") if close \
        else ""


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.argument("interne")
def explain(instance: str, interne: str) -> None:
    """Raconter comment INTERNE a obtenu son poste (le jour du choix rejoué)."""
    from affectation.engines import solve

    loaded = _load(instance)
    if interne not in loaded.interne_by_id:
        raise CliError(t(f"{instance} : interne inconnu {interne!r}",
                         f"{instance}: unknown interne {interne!r}")
                       + _suggest(interne, loaded.interne_by_id))
    person = loaded.interne(interne)
    click.echo(f"{person.libelle}, {t('rang', 'rank')} {person.rang}")
    click.echo(solve(loaded, "serial").explain(interne, loaded))


@main.command()
@click.option("--out", type=click.Path(), default=None,
              help="Écrire aussi le résultat du choix rejoué ("
                   + OUT_HELP.removeprefix("Résultat : ") + ")")
def demo(out: str | None) -> None:
    """Les deux moteurs sur l'exemple livré, et leur résumé."""
    kind = _result_target(out)
    from affectation.check import check
    from affectation.datasets import example
    from affectation.engines import solve

    instance = example()
    click.echo(f"Instance : {instance.nom} ({len(instance.internes)} internes, "
               f"{len(instance.terrains)} terrains)\n")
    serial = solve(instance, "serial")
    click.echo(summary_table(serial) + "\n")
    exact = solve(instance, "cpsat")
    click.echo(summary_table(exact) + "\n")
    same = exact.same_allocation(serial)
    violations = check(instance, serial) + check(instance, exact)
    click.echo(t(f"Même affectation, interne par interne : {'oui' if same else 'NON'}",
                 f"Same allocation, interne by interne: {'yes' if same else 'NO'}"))
    click.echo(t(f"Vérificateur : {len(violations)} violation(s)",
                 f"Checker: {len(violations)} violation(s)"))
    # the story of one turn: an imposition if there is one, else the longest list of refusals
    story = serial.impositions[0] if serial.impositions else max(
        serial.trace, key=lambda turn: len(turn.refusals)).interne
    click.echo("\n" + instance.interne(story).libelle)
    click.echo(serial.explain(story, instance))
    if out is not None and kind is not None:
        click.echo()
        write_result_out(serial, out, kind, instance)
    if not same or violations:
        sys.exit(1)


EXEMPLE_FILES = {"csv-fr": None, "xlsx": "exemple.xlsx", "json": "exemple.json"}


@main.command()
@click.argument("dossier", type=click.Path(file_okay=False))
@click.option("--format", "form", type=click.Choice(list(EXEMPLE_FILES)), default="csv-fr",
              show_default=True,
              help="csv-fr : les tables en CSV (';', UTF-8 avec BOM) comme Excel les ouvre ; "
                   "xlsx : un classeur exemple.xlsx ; json : exemple.json (FORMAT.md).")
def exemple(dossier: str, form: str) -> None:
    """Écrire l'exemple livré dans DOSSIER, comme un bureau l'ouvrirait, pour partir de lui."""
    from affectation.datasets import example
    from affectation.io import dumps, instance_to_dict
    from affectation.io.tabular import TABLE_FILES, csv_files, save_excel

    instance = example()
    target = Path(dossier)
    if form == "csv-fr":
        files = csv_files(instance, "excel-fr")

        def write(temp: Path) -> None:
            for name, data in files.items():
                (temp / name).write_bytes(data)

        write_out(dossier, write, folder=True, replaceable=tuple(TABLE_FILES))
    else:
        if not target.parent.resolve().is_dir():
            raise CliError(t(f"{dossier} : le dossier parent n'existe pas",
                             f"{dossier}: the parent folder does not exist"))
        if target.exists() and not target.is_dir():
            raise CliError(t(f"{dossier} : existe et n'est pas un dossier",
                             f"{dossier}: exists and is not a folder"))
        target.mkdir(exist_ok=True)
        out = str(target / EXEMPLE_FILES[form])
        if form == "xlsx":
            write_out(out, lambda temp: save_excel(instance, temp))
        else:
            data = dumps(instance_to_dict(instance))
            write_out(out, lambda temp: temp.write_bytes(data))
    click.echo(t(f"{len(instance.internes)} internes, {len(instance.terrains)} terrains : "
                 f"affectation validate {dossier} puis affectation solve {dossier}",
                 f"{len(instance.internes)} internes, {len(instance.terrains)} terrains: "
                 f"affectation validate {dossier} then affectation solve {dossier}"))


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--open", "opens", multiple=True, metavar="SPEC",
              help="Open or close postes: CATEGORY:N (urgences:3, praticien_n1:-2), "
                   "CATEGORY:N:even, or CATEGORY:N@TERRAIN[,TERRAIN...]. Repeatable; all "
                   "together make one scenario (docs/howto-scenarios.md).")
@click.option("--separately", is_flag=True,
              help="One scenario per --open instead of one for all of them.")
@click.option("--method", type=click.Choice(METHODS), default="serial", show_default=True,
              help="serial: the choice day replayed; cpsat: the exact model.")
@click.option("--samples", type=click.IntRange(min=0), default=0, show_default=True,
              help="Monte Carlo: redraw the wish lists N times (affectation.sweep); "
                   "0 compares the lists of INSTANCE as they are.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the Monte Carlo draws and of CP-SAT.")
@click.option("--time-limit", type=float, default=None, help="CP-SAT time limit (s).")
@click.option("--workers", type=int, default=1, show_default=True, help="CP-SAT workers.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="JSON report (table and moves), written whole or not at all.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help=PLOT_HELP)
def whatif(instance: str, opens: tuple[str, ...], separately: bool, method: str, samples: int,
           seed: int, time_limit: float | None, workers: int, out: str | None,
           plot_path: str | None) -> None:
    """Compare INSTANCE with postes opened or closed (R-POS-2): base vs scenario."""
    from affectation.scenarios import Scenario, parse_change

    guard_out(out, instance)
    _check_plot(plot_path, instance)
    if not opens:
        raise CliError(t("rien à comparer : donnez au moins un --open SPEC (par exemple "
                         "--open urgences:3)", "nothing to compare: give at least one --open "
                         "SPEC (for example --open urgences:3)"))
    try:
        changes = [parse_change(spec) for spec in opens]
    except ValueError as error:
        raise CliError(f"--open : {error}") from None
    loaded = _load(instance)
    scenarios = ([Scenario.of(c) for c in changes] if separately
                 else [Scenario.of(*changes)])
    for scenario in scenarios:
        try:
            scenario.apply(loaded)
        except ValueError as error:  # InstanceError included: a change the file cannot take
            raise CliError(t(f"{instance} : scénario {scenario.name!r} : {error}",
                             f"{instance}: scenario {scenario.name!r}: {error}")) from None
    figure = None
    if samples:
        report, swept = _whatif_sweep(loaded, scenarios, method, samples, seed)
        if plot_path is not None:
            from affectation.plots import plot_sweep

            figure = plot_sweep(swept)
    else:
        from affectation.compare import compare

        comparison = compare(loaded, *scenarios, method=method, time_limit=time_limit,
                             workers=workers, seed=seed)
        click.echo(str(comparison))
        report = comparison.to_dict()
        if plot_path is not None:
            from affectation.plots import plot_comparison

            figure = plot_comparison(comparison)
    if out is not None:
        write_json_out(out, {"format": "affectation-whatif/1", "instance": instance, **report},
                       instance)
    if figure is not None and plot_path is not None:
        _save_plot(plot_path, figure, instance)


def _whatif_sweep(instance: Instance, scenarios: list, method: str, samples: int,
                  seed: int) -> tuple[dict, Any]:
    """``whatif --samples``: the Monte Carlo sweep of the base and the scenarios (the base
    first: the reference of the paired differences), printed; its summary as a report."""
    try:
        from affectation.sweep import sweep
    except ModuleNotFoundError as error:
        if error.name != "affectation.sweep":
            raise
        raise CliError(t("--samples demande les tirages de Monte-Carlo (affectation.sweep), "
                         "absents de cette installation ; sans --samples, la comparaison "
                         "déterministe", "--samples needs the Monte Carlo sweep "
                         "(affectation.sweep), which this installation does not have; run "
                         "without --samples for the deterministic comparison")) from None
    import pandas as pd

    from affectation.compare import records
    from affectation.metrics import sweep_table
    from affectation.scenarios import BASE

    swept = sweep(instance, [BASE, *scenarios], n_samples=samples, seed=seed, method=method)
    summary = swept.summary()
    tidy = {"scenario", "metric", "mean", "delta"} <= set(summary.columns)
    click.echo((sweep_table(summary) if tidy else summary).to_string())
    if not isinstance(summary.index, pd.RangeIndex):
        summary = summary.reset_index()
    return ({"methode": method, "samples": samples, "seed": seed, "summary": records(summary)},
            swept)


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--samples", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Draws of the unknown wish lists.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draws.")
@click.option("--method", type=click.Choice(METHODS), default="serial", show_default=True,
              help="Engine solving each draw.")
@click.option("--past", type=click.Path(dir_okay=False), default=None,
              help="A result file of a past choice day, also used to fit the guesses.")
@click.option("--out", "outs", multiple=True, type=click.Path(dir_okay=False),
              help="Report: .json (affectation-prechoix/1), .xlsx or .html; repeatable.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help=PLOT_HELP + " Le rang limite des terrains.")
def prechoix(instance: str, samples: int, seed: int, method: str, past: str | None,
             outs: tuple[str, ...], plot_path: str | None) -> None:
    """Pré-choix of INSTANCE: the lists marked voeux_connus=false are guessed SAMPLES times,
    the others kept; per interne the probability of each terrain, per terrain the rang
    limite (docs/howto-prechoix.md)."""
    from pathlib import Path

    from affectation.prechoix import REPORT_SUFFIXES, write_report
    from affectation.prechoix import prechoix as run_prechoix

    for out in outs:
        if Path(out).suffix.lower() not in REPORT_SUFFIXES:
            raise CliError(t(f"--out {out} : attendu un rapport .json, .xlsx ou .html",
                             f"--out {out}: expected a .json, .xlsx or .html report"))
        guard_out(out, instance, *([past] if past else []))
    _check_plot(plot_path, instance, *([past] if past else []))
    loaded = _load(instance)
    if "null" in loaded.terrain_by_id and any(o.lower().endswith(".json") for o in outs):
        raise CliError(t(f"{instance} : un terrain s'appelle 'null', la clé de « sans poste » "
                         "dans le rapport JSON ; renommez-le",
                         f"{instance}: a terrain is named 'null', the key of no poste in the "
                         "JSON report; rename it"))
    past_result = None
    if past is not None:
        from affectation.io import load_result

        past_result = load_result(past)
    result = run_prechoix(loaded, n_samples=samples, seed=seed, method=method,
                          past=past_result)
    from affectation.prechoix import stuck_sentence

    if result.sans_issue:
        click.echo(f"{t('attention', 'warning')} : {stuck_sentence(result)}", err=True)
        for _, why in result.sans_issue[:10]:
            click.echo(f"  - {why}", err=True)
        if len(result.sans_issue) > 10:
            click.echo(f"  … ({len(result.sans_issue) - 10} de plus dans le rapport)", err=True)
    n = len(loaded.internes)
    click.echo(f"pré-choix : {n} internes, {len(result.known)} listes connues, "
               f"{n - len(result.known)} devinées, {samples} tirages (graine {seed})")
    click.echo(prechoix_table(result, loaded))
    for out in outs:
        write_out(out, lambda temp: write_report(result, temp), instance,
                  *([past] if past else []))
    if plot_path is not None:
        from affectation.plots import plot_rang_limite

        _save_plot(plot_path, plot_rang_limite(result), instance, *([past] if past else []))


def prechoix_table(result, instance: Instance, rows: int = 10) -> str:
    """The first internes of the pré-choix in at most 100 columns, names beside ids, then what
    the figures mean."""
    table = result.internes_table().head(rows)
    lines = []
    for entry in table.to_dict("records"):
        person = instance.interne(entry["interne"]).libelle
        person = person if len(person) <= 28 else person[:27] + "…"
        likely = entry["terrain_1"] or ""
        likely = likely if len(likely) <= 22 else likely[:21] + "…"
        lines.append([entry["position"], person, entry["rang"],
                      t("oui", "yes") if entry["voeux_connus"] else t("non", "no"),
                      likely, f"{entry['p_1']:.0%}" if entry["terrain_1"] else "",
                      f"{entry['p_sans_poste']:.0%}", f"{entry['p_impose']:.0%}"])
    head = [t("Pos.", "Pos."), "Interne", t("Rang", "Rank"), t("Liste", "List"),
            t("Terrain le plus probable", "Most likely terrain"), "p",
            t("Sans poste", "No poste"), t("Imposé", "Imposed")]
    out = _grid(head, lines)
    out += ["", *_wrap(t(
        f"Les {len(table)} premiers internes dans l'ordre du choix : leur liste est-elle connue "
        f"(sinon devinée), le terrain qu'ils obtiennent le plus souvent sur {result.n_samples} "
        "tirages et sa probabilité, la probabilité de n'avoir aucun poste et celle d'être "
        "imposé. Tout le détail dans le rapport (--out rapport.html).",
        f"The first {len(table)} internes in the order of choice: whether their list is known "
        f"(else guessed), the terrain they get most often over {result.n_samples} draws and "
        "its probability, the probability of no poste and of an imposition. The details are "
        "in the report (--out report.html)."))]
    return "\n".join(out)


# --- before and on choice day (issue 9) ------------------------------------------------------

@main.command("audit")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Report file: .json (the data) or .html (the same data, for the ARS).")
def audit_command(instance: str, out: str | None) -> None:
    """Audit INSTANCE before choice day. Exit 0: nothing to decide; 3: a finding needs a
    decision; 2: bad input (the loader's refusal is reported as the finding)."""
    from affectation.audit import audit, refused
    from affectation.io import load_instance

    if out is not None and not out.endswith((".json", ".html")):
        raise CliError(t(f"--out {out} : attendu un fichier .json ou .html",
                         f"--out {out}: expected a .json or .html file"))
    guard_out(out, instance)
    try:
        loaded = load_instance(instance)
    except InstanceError as error:
        click.echo(str(refused(str(error))))  # the refusal as the audit's finding, then exit 2
        raise
    report = audit(loaded)
    click.echo(str(report))
    if out is not None:
        from affectation.io import dumps

        data = (report.to_html().encode("utf-8") if out.endswith(".html")
                else dumps(report.to_dict()))
        write_out(out, lambda temp: temp.write_bytes(data), instance)
    sys.exit(report.exit_status)


@main.command("live")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--journal", required=True,
              help="The day's journal (JSON Lines): created if missing, else resumed.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve; anything but the loopback exposes the pages to the "
                   "network.")
@click.option("--port", default="8000", show_default=True, help="TCP port (0: any free one).")
@click.option("--jeton-fichier", "token_file", type=click.Path(dir_okay=False), default=None,
              help="File of the operator's token (mode 600; default: JOURNAL.jeton, created at "
                   "first start and reused at restart). AFFECTATION_JETON in the environment "
                   "takes precedence.")
@click.option("--jetons", "tokens_file", type=click.Path(dir_okay=False), default=None,
              help="One token per operator: a file (mode 600) of lines NAME:TOKEN; each "
                   "write is recorded under the name of the token that made it.")
@click.option("--token", default=None, hidden=True)
@click.option("--operateur", "--operator", "operator", default="",
              help="Name recorded in the journal entries written with the token.")
@click.option("--cle", "key_file", type=click.Path(dir_okay=False), default=None,
              help="Key file (HMAC-SHA256, held by the ARS): every journal line carries its MAC.")
@click.option("--nom-hote", "host_names", multiple=True,
              help="Another name the pages are reached by (Host header); repeatable.")
@click.option("--result", "result_path", type=click.Path(dir_okay=False), default=None,
              help="Do not serve: replay the journal and write its result (.json result file "
                   "or .xlsx spreadsheet), then exit.")
@click.option("--procurations", "procurations_path", type=click.Path(dir_okay=False),
              default=None,
              help="The absent internes (affectation-procurations/1, written by affectation "
                   "voeux exporter); default: INSTANCE's .procurations.json beside it, if any.")
def live_command(instance: str, journal: str, host: str, port: str, token_file: str | None,
                 tokens_file: str | None, token: str | None, operator: str, key_file: str | None,
                 host_names: tuple[str, ...], result_path: str | None,
                 procurations_path: str | None) -> None:
    """Run the choice day of INSTANCE live: an operator page (token) and a public page."""
    from affectation.live import ChoiceDay, JournalError
    from affectation.live.journal import read_key
    from affectation.live.startup import StartupError, bind, check_journal_path, parse_port

    def fail(message: str) -> None:
        click.echo(f"erreur : {message}", err=True)
        sys.exit(2)

    if token is not None:
        fail("--token n'est plus accepté (un argument est visible de tous dans ps) : le jeton "
             "vient du fichier --jeton-fichier (par défaut JOURNAL.jeton, créé au premier "
             "démarrage) ou de la variable AFFECTATION_JETON")
    if result_path is not None:
        if not result_path.endswith((".json", ".xlsx")):
            raise CliError(t(f"--result {result_path} : attendu un fichier .json ou .xlsx",
                             f"--result {result_path}: expected a .json or .xlsx file"))
        guard_out(result_path, instance, journal)
    loaded = _load(instance)
    try:
        key = None if key_file is None else read_key(key_file)
    except JournalError as error:
        fail(str(error))
    if result_path is not None:
        _live_result(loaded, journal, result_path, instance, key=key)
        return
    from affectation.live.procurations import ProcurationsError, load_procurations, sibling

    if procurations_path is None and sibling(instance).is_file():
        procurations_path = str(sibling(instance))
    procurations = {}
    if procurations_path is not None:
        try:
            procurations = load_procurations(procurations_path, loaded)
        except ProcurationsError as error:
            fail(str(error))
    try:
        from affectation.live.app import create_app, serve
        from affectation.web import (
            TOKEN_ENV,
            TokenError,
            allowed_hosts,
            load_operator_tokens,
            load_token,
        )
    except ModuleNotFoundError as error:
        raise CliError(t(f"les pages en direct demandent l'extra 'live' ({error.name} "
                         "manque) : pip install 'affectation[live]'",
                         f"the live pages need the 'live' extra ({error.name} is missing): "
                         "pip install 'affectation[live]'")) from None
    import os

    token_path = Path(token_file) if token_file else Path(journal + ".jeton")
    try:
        port_number = parse_port(port)
        path = check_journal_path(journal)
        if token_file and not token_path.parent.is_dir():
            raise StartupError(f"--jeton-fichier {token_file} : le dossier n'existe pas")
        # the token is checked now; a missing token file is created only once all is well
        token_ready = TOKEN_ENV in os.environ or token_path.exists()
        if token_ready:
            token_value, token_origin = load_token(token_path)
        operators = {} if tokens_file is None else load_operator_tokens(tokens_file)
        sock = bind(host, port_number)
    except (StartupError, TokenError) as error:
        fail(str(error))
    try:
        if path.exists():
            day = ChoiceDay.resume(loaded, path, key=key)
            cut = day.journal.cut if day.journal else 0
            click.echo(f"journal repris : {journal} ({day.seq} entrées)")
            if cut:
                click.echo(f"attention : une dernière ligne incomplète ({cut} octets, jamais "
                           "acquittée) a été coupée ; la coupure est inscrite au journal "
                           f"(entrée {day.seq})", err=True)
        else:
            day = ChoiceDay.open(loaded, path, operator=operator, key=key)
            click.echo(f"journal créé : {journal}" + (" (signé par la clé)" if key else ""))
    except JournalError as error:
        sock.close()
        fail(str(error))
    day.set_procurations(procurations)
    if procurations_path is not None:
        absent = sum(1 for p in procurations.values() if p.absent)
        click.echo(f"procurations : {procurations_path} ({absent} absent(s) annoncé(s) : "
                   "la console les signale à leur tour)")
    if not token_ready:
        try:
            token_value, token_origin = load_token(token_path)
        except TokenError as error:
            day.close()
            sock.close()
            fail(str(error))
    bound = sock.getsockname()[1]
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(t(f"attention : servi sur {host} : tout ce réseau peut ouvrir la page "
                     "publique ; la page de l'opérateur demande toujours le jeton",
                     f"warning: serving on {host}: anyone on this network can open the public "
                     "page; the operator page still needs the token"), err=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    head = day.head
    click.echo(f"page publique :  http://{shown}:{bound}/")
    click.echo(f"écran de salle : http://{shown}:{bound}/ecran")
    click.echo(f"console :        http://{shown}:{bound}/operateur#jeton={token_value}")
    click.echo(f"jeton :          {token_origin}")
    for name in sorted(set(operators.values())):
        click.echo(f"console de {name} : http://{shown}:{bound}/operateur#jeton=… (son jeton, "
                   f"fichier {tokens_file})")
    if head is not None:
        click.echo(f"tête du journal : {head}")
    app = create_app(day, token=token_value, operator=operator, tokens=operators,
                     hosts=allowed_hosts(host, bound, host_names))
    try:
        serve(app, sock=sock)
    finally:
        day.close()


@main.group("journal")
def journal_group() -> None:
    """The choice day's journal: verify it (verifier), make the ARS's key (cle)."""


@journal_group.command("verifier")
@click.argument("journal", type=click.Path(dir_okay=False))
@click.option("--cle", "key_file", type=click.Path(dir_okay=False), default=None,
              help="The key file the journal was written with (HMAC-SHA256).")
@click.option("--tete", "head_text", default=None,
              help="A published head SEQ:HEX (the room's screen, the result file).")
@click.option("--instance", "instance_file", type=click.Path(dir_okay=False), default=None,
              help="The instance file: also replay every entry under the rules.")
def journal_verify_command(journal: str, key_file: str | None, head_text: str | None,
                           instance_file: str | None) -> None:
    """Check a journal: exit 0 when whole, consistent with the key and containing the head,
    1 otherwise, 2 for bad input. Says what it proved and what it cannot."""
    from affectation.live import JournalError
    from affectation.live.journal import read_key
    from affectation.live.verify import parse_head, verify_journal

    try:
        key = None if key_file is None else read_key(key_file)
        head = None if head_text is None else parse_head(head_text)
    except (JournalError, ValueError) as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(2)
    loaded = None if instance_file is None else _load(instance_file)
    try:
        report = verify_journal(journal, key=key, head=head, instance=loaded)
    except JournalError as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(2)
    click.echo(report.text())
    sys.exit(0 if report.ok else 1)


@journal_group.command("cle")
@click.argument("fichier", type=click.Path(dir_okay=False))
def journal_key_command(fichier: str) -> None:
    """Write a new random key to FICHIER (mode 600, never over an existing file)."""
    import os

    from affectation.live.verify import new_key

    try:
        fd = os.open(fichier, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        click.echo(f"erreur : {fichier} existe déjà : une clé n'est jamais remplacée", err=True)
        sys.exit(2)
    except OSError as error:
        click.echo(f"erreur : {fichier} : {error.strerror}", err=True)
        sys.exit(2)
    with os.fdopen(fd, "wb") as handle:
        handle.write(new_key() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    click.echo(f"clé écrite : {fichier} (mode 600) ; gardez-la hors de la machine du serveur "
               "après la journée")


def _live_result(instance: Instance, journal: str, path: str, *inputs: str,
                 key: bytes | None = None) -> None:
    """``live --result``: the result of a journal, written whole or not at all."""
    from affectation.live import ChoiceDay, JournalError

    if not path.endswith((".json", ".xlsx")):
        raise CliError(t(f"--result {path} : attendu un fichier .json ou .xlsx",
                         f"--result {path}: expected a .json or .xlsx file"))
    try:
        day = ChoiceDay.replay(instance, journal, key=key)  # read only: never touched
    except JournalError as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(2)
    result = day.result()
    state = (t("terminée", "over") if day.done
             else t(f"en cours : {len(day.placed)} placés", f"not over: {len(day.placed)} "
                                                             "placed so far"))
    click.echo(summary_table(result))
    click.echo(t(f"journal : {day.seq} entrées, la journée est {state}",
                 f"journal: {day.seq} entries, the day is {state}"))
    from affectation.io import dumps
    from affectation.live.verify import journal_head, result_document, result_workbook

    head = journal_head(journal)
    click.echo(f"tête du journal : {head}")
    # the arrêté workbook of solve (formula-safe, whole or nothing, never over an input), with
    # the journal's head (a sheet 'journal', or the key 'journal' of the JSON file)
    if path.endswith(".json"):
        data = dumps(result_document(result, head))
        write_out(path, lambda temp: temp.write_bytes(data), journal, *inputs)
    else:
        book = result_workbook(result, instance, head)
        write_out(path, lambda temp: temp.write_bytes(book), journal, *inputs)


# --- several semesters ahead: plan and simulate (affectation.cohort) ---------------------------


def _agrements(values: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for value in values:
        kind, sep, count = value.partition("=")
        if not sep or not count.strip().isdigit():
            raise CliError(t(f"{value!r} : attendu CATEGORIE=N (urgences=40)",
                             f"{value!r}: expected CATEGORIE=N (urgences=40)"))
        out[kind.strip()] = int(count)
    return out


def _marges(values: tuple[str, ...]) -> int | dict[str, int]:
    """``--marge 2`` (every non-mandatory kind) or ``--marge urgences=2`` (repeatable)."""
    if len(values) == 1 and values[0].strip().isdigit():
        return int(values[0])
    if any("=" not in v for v in values):
        raise CliError(t("--marge : attendu un N, ou CATEGORIE=N (répétable)",
                         "--marge: expected one N, or CATEGORIE=N (repeatable)"))
    return _agrements(values)



WIDTH = 100
"""The command line's tables fit in this many columns."""


def _grid(head: list[str], rows: list[list[object]]) -> list[str]:
    """Columns two spaces apart: figures right-aligned, texts (and the first column)
    left-aligned."""
    import re

    cells = [[str(x) for x in row] for row in [head, *rows]]
    widths = [max(len(row[k]) for row in cells) for k in range(len(head))]
    figure = re.compile(r"[-0-9.,%\[\]– ]*")
    right = [k > 0 and all(figure.fullmatch(row[k]) for row in cells[1:])
             for k in range(len(head))]
    return ["  ".join(c.rjust(w) if right[k] else c.ljust(w)
                      for k, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in cells]


def _wrap(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, WIDTH)


def plan_table(plan) -> str:
    """The plan as the commission reads it: one row per kind of terrain, one column per
    semester (at most 100 columns for up to 12 semesters), then what the figures mean."""
    labels = [s.semestre for s in plan.semestres]
    rows: list[list[object]] = [
        [t("Internes qui choisissent", "Internes choosing"), *(s.internes for s in plan.semestres)],
        [t("dont nouveaux T1", "of which new T1s"), *(s.nouveaux for s in plan.semestres)],
    ]
    from affectation.views import kind_label

    rows += [[kind_label(kind), *(s.postes[kind] for s in plan.semestres)]
             for kind in plan.kinds]
    rows += [
        [t("Total des postes", "Total postes"), *(s.total for s in plan.semestres)],
        [t("Plancher R-POS-3", "R-POS-3 floor"), *(s.minimum_r_pos_3 for s in plan.semestres)],
    ]
    juniors = any(s.niveau_3 for s in plan.semestres)
    if juniors:
        rows.append([t("Niveau 3 (appariement)", "Niveau 3 (appariement)"),
                     *(s.niveau_3 for s in plan.semestres)])
    lines = _grid([t("Postes à ouvrir", "Postes to open"), *labels], rows)
    gap = "" if plan.gap is None else t(f", écart {plan.gap:.1%}", f", gap {plan.gap:.1%}")
    words = {"total": t("le moins de postes au total", "the fewest postes in all"),
             "change": t("le moins de postes déplacés", "the fewest postes moved"),
             "impositions": t("le moins d'impositions", "the fewest impositions")}
    lines.append("")
    lines += _wrap(t(
        f"Chaque colonne est un semestre de choix, chaque ligne une catégorie de terrain : "
        f"le nombre de postes à ouvrir pour que chaque interne puisse finir sa maquette à "
        f"temps, les postes obligatoires pourvus et au moins le plancher R-POS-3 (107 % des "
        f"internes qui choisissent). Objectif : {words.get(plan.objective, plan.objective)}, "
        f"{plan.value} (borne prouvée {plan.bound}{gap}), statut {plan.status}, "
        f"{plan.wall_time:.2f} s.",
        f"Each column is a semester of choice, each row a kind of terrain: the postes to "
        f"open so that every interne can finish their maquette on time, the mandatory postes "
        f"filled and at least the R-POS-3 floor (107 % of the internes choosing). Objective: "
        f"{words.get(plan.objective, plan.objective)}, {plan.value} (proven bound "
        f"{plan.bound}{gap}), status {plan.status}, {plan.wall_time:.2f} s."))
    if juniors:
        lines += _wrap(t(
            "Niveau 3 (appariement) : les docteurs juniors en phase de consolidation ce "
            "semestre (semestres 7 et 8 de la maquette mg-2023), hors du choix au rang : autant "
            "de postes de niveau 3 (terrains MSU) à offrir à l'appariement, en plus des postes "
            "du choix ci-dessus.",
            "Niveau 3 (appariement): the docteurs juniors in the phase de consolidation this "
            "semester (semesters 7 and 8 of mg-2023), out of the choice by rank: as many niveau "
            "3 postes (MSU terrains) to offer to the appariement, beside the choice's postes "
            "above."))
    return "\n".join(lines)




@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--promotion", "promotions", type=int, multiple=True, required=True,
              help="New T1s each November (repeat it for one size per November).")
@click.option("--semesters", type=int, default=8, show_default=True)
@click.option("--objective", type=click.Choice(["total", "change", "impositions"]),
              default="total", show_default=True,
              help="total: fewest postes; change: fewest moved from today; impositions: "
                   "fewest T1s forced onto a mandatory poste.")
@click.option("--agrement", "agrements", multiple=True, metavar="CATEGORIE=N",
              help="At most N postes of that kind each semester (repeatable).")
@click.option("--marge", "marges", multiple=True, metavar="N|CATEGORIE=N",
              help="Postes kept free above the demand: N in every non-mandatory kind, or "
                   "N in one kind, mandatory included (repeatable).")
@click.option("--per-terrain", is_flag=True, help="Also split the postes per terrain.")
@click.option("--juniors", type=click.IntRange(min=0), default=0, show_default=True,
              help="Docteurs juniors starting their consolidation today, out of the instance "
                   "(a niveau 3 poste each this semester and the next).")
@click.option("--time-limit", type=float, default=None, help="CP-SAT time limit (s).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="plan.json (affectation-plan/1) or plan.xlsx, written whole or not at all.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help=PLOT_HELP)
def plan(instance: str, promotions: tuple[int, ...], semesters: int, objective: str,
         agrements: tuple[str, ...], marges: tuple[str, ...], per_terrain: bool, juniors: int,
         time_limit: float | None, out: str | None, plot_path: str | None) -> None:
    """The fewest postes per kind and semester that let every maquette finish, proven."""
    if out is not None and not out.lower().endswith((".json", ".xlsx")):
        raise CliError(t(f"--out {out} : attendu un fichier .json ou .xlsx",
                         f"--out {out}: expected a .json or .xlsx file"))
    guard_out(out, instance)
    _check_plot(plot_path, instance)
    loaded = _load(instance)
    from affectation.cohort import plan_postes, save_plan

    try:
        result = plan_postes(loaded, promotions[0] if len(promotions) == 1 else promotions,
                             semesters, agrement=_agrements(agrements), objective=objective,
                             marge=_marges(marges), per_terrain=per_terrain,
                             juniors=juniors, time_limit=time_limit)
    except ValueError as error:
        if isinstance(error, AffectationError):
            raise
        raise CliError(f"{instance} : {error}") from None
    if not result.feasible:
        click.echo(t(f"aucun plan (statut {result.status}) ; contraintes liantes :",
                     f"no plan (status {result.status}); binding constraints:"), err=True)
        for binding in result.binding:
            click.echo(f"  - {binding.texte}", err=True)
        if out is not None:
            write_out(out, lambda temp: save_plan(result, temp), instance)
        sys.exit(1)
    click.echo(plan_table(result))
    if result.hors_plan:
        click.echo(t(f"hors plan (maquette déjà irréalisable) : {', '.join(result.hors_plan)}",
                     f"outside the plan (maquette already out of reach): "
                     f"{', '.join(result.hors_plan)}"))
    if out is not None:
        write_out(out, lambda temp: save_plan(result, temp), instance)
    if plot_path is not None:
        from affectation.cohort.plots import plot_plan

        _save_plot(plot_path, plot_plan(result), instance)


SIMULATE_TABLES = (
    (("internes", "Internes", "Internes"), ("postes", "Postes", "Postes"),
     ("postes_vacants", "Vacants", "Vacant"), ("marge_r_pos_3", "Marge R-POS-3",
                                                "R-POS-3 margin")),
    (("impositions", "Imposés", "Imposed"), ("sans_poste", "Sans poste", "No poste"),
     ("a_l_heure", "À l'heure", "On time"), ("finissent", "Finissent", "Finish"),
     ("en_retard", "En retard", "Late")),
    (("vers_appariement", "Vers l'appariement", "To the appariement"),
     ("docteurs_juniors", "Docteurs juniors", "Docteurs juniors"),
     ("niveau_3_manquants", "Niveau 3 manquants", "Niveau 3 short")),
)
"""The two tables of ``simulate``: the postes, then the careers (metric, French, English)."""

SIMULATE_WORDS = (
    ("Internes qui choisissent, postes ouverts, postes restés vacants et marge au-dessus du "
     "plancher R-POS-3, par semestre : la moyenne des futurs simulés et, entre crochets, la "
     "bande où tombent 90 % d'entre eux.",
     "Internes choosing, postes opened, postes left vacant and the margin above the R-POS-3 "
     "floor, per semester: the mean of the simulated futures and, in brackets, the band where "
     "90 % of them fall."),
    ("Internes placés par imposition, internes sans poste, part des internes encore capables "
     "de finir leur maquette à temps, internes qui la finissent ce semestre à temps ou en "
     "retard : même lecture (moyenne [bande de 90 %]).",
     "Internes placed by imposition, internes without poste, share of internes still able to "
     "finish their maquette on time, internes finishing it this semester on time or late: "
     "read the same way (mean [90 % band])."),
    ("Internes qui quittent le choix pour l'appariement après ce semestre (le suivant est en "
     "phase de consolidation), docteurs juniors en phase de consolidation ce semestre (chacun "
     "sur un poste de niveau 3) et ceux d'entre eux que les postes de niveau 3 du plan laissent "
     "sans poste : même lecture.",
     "Internes leaving the choice for the appariement after this semester (the next one is in "
     "the phase de consolidation), docteurs juniors in the phase de consolidation this "
     "semester (each on a niveau 3 poste) and those of them the plan's niveau 3 postes leave "
     "without one: read the same way."),
)


def careers_table(result) -> str:
    """Per semester, the mean of the headline figures and the band of 90 % of the futures,
    in two tables of at most 100 columns, each followed by what its figures mean."""
    table = result.summary().set_index(["semestre", "metric"])
    english = t("fr", "en") == "en"
    out: list[str] = []
    for columns, words in zip(SIMULATE_TABLES, SIMULATE_WORDS, strict=True):
        if columns[0][0] == "vers_appariement" and not (
                result.values("vers_appariement").any()
                or result.values("docteurs_juniors").any()):
            continue  # no consolidation in the choice's maquettes (mg-2017, mg-2010)
        head = [t("Semestre", "Semester"), *(en if english else fr for _, fr, en in columns)]
        rows = []
        for label in result.labels:
            row: list[object] = [label]
            for metric, _, _ in columns:
                fmt = "{:.0%}" if metric == "a_l_heure" else "{:.0f}"
                mean, low, high = (table.loc[(label, metric), k] for k in ("mean", "low", "high"))
                row.append(f"{fmt.format(mean)} [{fmt.format(low)}–{fmt.format(high)}]")
            rows.append(row)
        out += _grid(head, rows)
        out += ["", *_wrap(words[1] if english else words[0]), ""]
    return "\n".join(out).rstrip()


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False), default=None,
              help="plan.json (affectation plan); default: today's postes every semester.")
@click.option("--futures", type=int, default=100, show_default=True)
@click.option("--semesters", type=int, default=None,
              help="Default: the plan's semesters, else 8.")
@click.option("--promotion", type=int, default=None,
              help="New T1s each November (default: the plan's, else today's T1s).")
@click.option("--echec", type=float, default=0.02, show_default=True,
              help="Probability that a semester is not validated (R-VAL-1).")
@click.option("--echec-surnombre", type=float, default=0.1, show_default=True,
              help="Probability that a surnombre validant's semester is not validated "
                   "(R-VAL-3).")
@click.option("--surnombre", type=float, default=0.02, show_default=True,
              help="Probability of asking a surnombre for next semester (R-SUR-1).")
@click.option("--method", type=click.Choice(METHODS), default="serial", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=int, default=None,
              help="Worker processes (default: every core; 1: in this process).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="careers.csv: one row per (future, semester), written whole or not at all.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help=PLOT_HELP)
def simulate(instance: str, plan_path: str | None, futures: int, semesters: int | None,
             promotion: int | None, echec: float, echec_surnombre: float, surnombre: float,
             method: str, seed: int, workers: int | None, out: str | None,
             plot_path: str | None) -> None:
    """Careers semester after semester under a plan: impositions, internes without poste,
    completion on time, with the band where 90 % of the futures fall."""
    guard_out(out, instance, *([plan_path] if plan_path else []))
    _check_plot(plot_path, instance, *([plan_path] if plan_path else []))
    loaded = _load(instance)
    from affectation.cohort import load_plan
    from affectation.cohort.simulate import simulate as run

    given = None
    if plan_path is not None:
        given = load_plan(plan_path)
        if not given.feasible:
            raise CliError(t(f"{plan_path} : le plan n'a pas de postes (statut {given.status})",
                             f"{plan_path}: the plan has no postes (status {given.status})"))
    executor = "inline" if workers == 1 else None
    pool = None
    if workers is not None and workers > 1:
        import concurrent.futures

        pool = executor = concurrent.futures.ProcessPoolExecutor(workers)
    try:
        result = run(loaded, given, semesters=semesters, futures=futures, seed=seed,
                     executor=executor, method=method, promotion=promotion, echec=echec,
                     echec_surnombre=echec_surnombre, surnombre=surnombre)
    except ValueError as error:
        if isinstance(error, AffectationError):
            raise
        raise CliError(f"{instance} : {error}") from None
    finally:
        if pool is not None:
            pool.shutdown()
    click.echo(t(f"{futures} futurs simulés, {len(result.labels)} semestres",
                 f"{futures} simulated futures, {len(result.labels)} semesters") + "\n")
    click.echo(careers_table(result))
    if out is not None:
        from affectation.io._cells import csv_bytes, frame_sheet

        sheet = frame_sheet("careers", result.to_frame())
        data = csv_bytes(sheet.header, sheet.rows)  # formula-safe, like every CSV written
        write_out(out, lambda temp: temp.write_bytes(data), instance,
                  *([plan_path] if plan_path else []))
    if plot_path is not None:
        from affectation.cohort.plots import plot_careers

        _save_plot(plot_path, plot_careers(result), instance,
                   *([plan_path] if plan_path else []))


# --- the appariement of the docteurs juniors (R-APP), its own group ----------------------------

from affectation.appariement.cli import appariement as _appariement  # noqa: E402

main.add_command(_appariement)


# --- the wishes online (issue 19), its own group -----------------------------------------------

from affectation.voeux.cli import voeux as _voeux  # noqa: E402

main.add_command(_voeux)


if __name__ == "__main__":  # pragma: no cover
    main()
