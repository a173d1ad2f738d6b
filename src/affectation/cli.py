"""The ``affectation`` command line: solve, validate, check, explain, demo, whatif, prechoix,
audit, live (and plan, simulate for several semesters).

Exit status: 0 when fine, 2 for bad input (nothing written), 1 for a solve that found no
allocation (user constraints in conflict) or a result that breaks the rules (``check``), 3 for
an audit with a finding that needs a decision. These commands and the JSON formats are a
contract other tools rely on (FORMAT.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from affectation.engines import METHODS
from affectation.errors import InstanceError, NoAllocation
from affectation.model import Instance
from affectation.result import Result

__all__ = ["guard_out", "main", "write_json_out", "write_out"]


def _load(path: str) -> Instance:
    from affectation.io import load_instance

    try:
        return load_instance(path)
    except InstanceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _run(instance: Instance, method: str, time_limit: float | None, workers: int,
         seed: int) -> Result:
    """One solve through the engine registry; exit 1 when no allocation is found."""
    from affectation.engines import solve

    try:
        return solve(instance, method, time_limit=time_limit, workers=workers, seed=seed)
    except NoAllocation as error:
        hint = ", try a longer --time-limit" if error.info.status == "UNKNOWN" else ""
        click.echo(f"error: {error}{hint}", err=True)
        sys.exit(1)


def summary_table(result: Result) -> str:
    """The short summary printed after a solve."""
    from affectation.metrics import format_value, label

    rows = [("methode", result.methode)] + [
        (label(key), format_value(key, value)) for key, value in result.summary().items()
    ]
    if result.info is not None and result.methode != "serial":
        info = result.info
        rows += [
            ("statut du solveur", info.status + (" (optimal prouvé)" if info.optimal else "")),
            ("temps (s)", f"{info.wall_time:.2f}"),
            ("variables / contraintes", f"{info.variables} / {info.constraints}"),
        ]
        if info.conflict:
            rows.append(("groupes en conflit", ", ".join(info.conflict)))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="affectation")
def main() -> None:
    """Choix de stages du DES de médecine générale: replay, solve, check, what-if."""


# --- outputs: the guard every --out goes through ---------------------------------------------


def guard_out(out: str | None, *inputs: str, folder: bool = False,
              replaceable: tuple[str, ...] = ()) -> None:
    """Refuse, with exit 2 and before any work, an ``--out`` that is an input (any spelling),
    lies inside an input folder, is not a regular file (or, with ``folder``, not a folder the
    library wrote), or sits in a missing or read-only folder (io/_files.py: check_output)."""
    if out is None:
        return
    from affectation.io._files import OutputError, check_output

    try:
        check_output(out, inputs, folder=folder, replaceable=replaceable)
    except OutputError as error:
        click.echo(f"error: --out {error}", err=True)
        sys.exit(2)


def write_out(out: str, write: Callable[[Path], None], *inputs: str, folder: bool = False,
              replaceable: tuple[str, ...] = ()) -> None:
    """The guard of :func:`guard_out`, then ``write(temp)`` put in place atomically; any
    failure (full disk, permissions) is exit 2 with a message and leaves nothing behind."""
    from affectation.io._files import OutputError, write_output

    try:
        write_output(out, write, inputs=inputs, folder=folder, replaceable=replaceable)
    except OutputError as error:
        click.echo(f"error: --out {error}", err=True)
        sys.exit(2)
    click.echo(f"written: {out}")


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
    from affectation.io._files import OutputError

    try:
        kind = result_kind(out)
    except OutputError as error:
        click.echo(f"error: --out {error}", err=True)
        sys.exit(2)
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


OUT_HELP = ("Result: .json (FORMAT.md), .xlsx (affectations, postes, impositions), .csv (the "
            "affectations) or a folder of CSV files; written whole or not at all, never over "
            "an input.")


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--method", type=click.Choice(METHODS), default="serial", show_default=True,
              help="serial: the choice day replayed; cpsat: the exact model.")
@click.option("--out", "out", type=click.Path(), default=None, help=OUT_HELP)
@click.option("--csv-dialect", type=click.Choice(["excel-fr", "plain"]), default="excel-fr",
              show_default=True,
              help="CSV results: excel-fr = ';' and UTF-8 with BOM; plain = ',' without BOM.")
@click.option("--time-limit", type=float, default=None, help="CP-SAT time limit (s).")
@click.option("--workers", type=int, default=1, show_default=True, help="CP-SAT workers.")
@click.option("--seed", type=int, default=0, show_default=True, help="CP-SAT random seed.")
def solve(instance: str, method: str, out: str | None, csv_dialect: str,
          time_limit: float | None, workers: int, seed: int) -> None:
    """Allocate the postes of INSTANCE (JSON file, CSV folder or .xlsx)."""
    kind = _result_target(out, instance)
    loaded = _load(instance)
    try:
        result = _run(loaded, method, time_limit, workers, seed)
    except InstanceError as error:
        click.echo(f"error: {instance}: {error}", err=True)
        sys.exit(2)
    click.echo(summary_table(result))
    if out is not None and kind is not None:
        write_result_out(result, out, kind, loaded, instance, csv_dialect=csv_dialect)


@main.command()
@click.argument("instance", type=click.Path(exists=False))
def validate(instance: str) -> None:
    """Check INSTANCE against the file contract; exit 2 with the message on error."""
    loaded = _load(instance)
    postes = sum(t.postes for t in loaded.terrains)
    click.echo(
        f"OK: {len(loaded.internes)} internes, {len(loaded.terrains)} terrains, {postes} postes, "
        f"{len(loaded.couples)} couples, maquette {loaded.maquette.nom}"
    )


@main.command("check")
@click.argument("instance", type=click.Path(exists=False))
@click.argument("result", type=click.Path(exists=False))
def check_command(instance: str, result: str) -> None:
    """Check RESULT (a FORMAT.md result file, from any tool) against the rules for INSTANCE.

    Exit 0 when it is the allocation the rules give, 1 with every violation listed (rule id,
    interne, terrain, what is wrong), 2 when a file is unreadable.
    """
    from affectation.check import check
    from affectation.io import load_result

    loaded = _load(instance)
    try:
        other = load_result(result)
    except InstanceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    violations = check(loaded, other)
    if not violations:
        click.echo(f"OK: {result} follows the rules for {instance} "
                   f"({len(other.affectations)} internes, methode {other.methode})")
        return
    click.echo(f"{len(violations)} violation(s) of the rules in {result}:")
    for violation in violations:
        click.echo(f"  {violation}")
    sys.exit(1)


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.argument("interne")
def explain(instance: str, interne: str) -> None:
    """Tell, in plain words, how INTERNE got their poste (serial replay)."""
    from affectation.engines import solve

    loaded = _load(instance)
    if interne not in loaded.interne_by_id:
        click.echo(f"error: {instance}: unknown interne {interne!r}", err=True)
        sys.exit(2)
    click.echo(solve(loaded, "serial").explain(interne, loaded))


@main.command()
@click.option("--out", type=click.Path(), default=None,
              help="Also write the serial result (" + OUT_HELP.removeprefix("Result: ") + ")")
def demo(out: str | None) -> None:
    """Run both engines on the bundled example and print the summary."""
    kind = _result_target(out)
    from affectation.check import check
    from affectation.datasets import example
    from affectation.engines import solve

    instance = example()
    click.echo(f"Instance: {instance.nom} ({len(instance.internes)} internes, "
               f"{len(instance.terrains)} terrains)\n")
    serial = solve(instance, "serial")
    click.echo(summary_table(serial) + "\n")
    exact = solve(instance, "cpsat")
    click.echo(summary_table(exact) + "\n")
    same = exact.same_allocation(serial)
    violations = check(instance, serial) + check(instance, exact)
    click.echo(f"Same allocation, interne by interne: {'yes' if same else 'NO'}")
    click.echo(f"Checker: {len(violations)} violation(s)")
    # the story of one turn: an imposition if there is one, else the longest list of refusals
    story = serial.impositions[0] if serial.impositions else max(
        serial.trace, key=lambda turn: len(turn.refusals)).interne
    click.echo("\n" + serial.explain(story, instance))
    if out is not None and kind is not None:
        click.echo()
        write_result_out(serial, out, kind, instance)
    if not same or violations:
        sys.exit(1)


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
def whatif(instance: str, opens: tuple[str, ...], separately: bool, method: str, samples: int,
           seed: int, time_limit: float | None, workers: int, out: str | None) -> None:
    """Compare INSTANCE with postes opened or closed (R-POS-2): base vs scenario."""
    from affectation.scenarios import Scenario, parse_change

    guard_out(out, instance)
    if not opens:
        click.echo("error: nothing to compare: give at least one --open SPEC "
                   "(for example --open urgences:3)", err=True)
        sys.exit(2)
    try:
        changes = [parse_change(spec) for spec in opens]
    except ValueError as error:
        click.echo(f"error: --open: {error}", err=True)
        sys.exit(2)
    loaded = _load(instance)
    scenarios = ([Scenario.of(c) for c in changes] if separately
                 else [Scenario.of(*changes)])
    for scenario in scenarios:
        try:
            scenario.apply(loaded)
        except ValueError as error:  # InstanceError included: a change the file cannot take
            click.echo(f"error: {instance}: scenario {scenario.name!r}: {error}", err=True)
            sys.exit(2)
    if samples:
        report = _whatif_sweep(loaded, scenarios, method, samples, seed)
    else:
        from affectation.compare import CompareError, compare

        try:
            comparison = compare(loaded, *scenarios, method=method, time_limit=time_limit,
                                 workers=workers, seed=seed)
        except CompareError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        click.echo(str(comparison))
        report = comparison.to_dict()
    if out is not None:
        write_json_out(out, {"format": "affectation-whatif/1", "instance": instance, **report},
                       instance)


def _whatif_sweep(instance: Instance, scenarios: list, method: str, samples: int,
                  seed: int) -> dict:
    """``whatif --samples``: the Monte Carlo sweep of the base and the scenarios (the base
    first: the reference of the paired differences), printed; its summary as a report."""
    try:
        from affectation.sweep import sweep
    except ModuleNotFoundError as error:
        if error.name != "affectation.sweep":
            raise
        click.echo("error: --samples needs the Monte Carlo sweep (affectation.sweep), which "
                   "this installation does not have; run without --samples for the "
                   "deterministic comparison", err=True)
        sys.exit(2)
    import pandas as pd

    from affectation.compare import records
    from affectation.metrics import sweep_table
    from affectation.scenarios import BASE

    summary = sweep(instance, [BASE, *scenarios], n_samples=samples, seed=seed,
                    method=method).summary()
    tidy = {"scenario", "metric", "mean", "delta"} <= set(summary.columns)
    click.echo((sweep_table(summary) if tidy else summary).to_string())
    if not isinstance(summary.index, pd.RangeIndex):
        summary = summary.reset_index()
    return {"methode": method, "samples": samples, "seed": seed, "summary": records(summary)}


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
def prechoix(instance: str, samples: int, seed: int, method: str, past: str | None,
             outs: tuple[str, ...]) -> None:
    """Pré-choix of INSTANCE: the lists marked voeux_connus=false are guessed SAMPLES times,
    the others kept; per interne the probability of each terrain, per terrain the rang
    limite (docs/howto-prechoix.md)."""
    from pathlib import Path

    from affectation.prechoix import REPORT_SUFFIXES, write_report
    from affectation.prechoix import prechoix as run_prechoix

    for out in outs:
        if Path(out).suffix.lower() not in REPORT_SUFFIXES:
            click.echo(f"error: --out {out}: expected a .json, .xlsx or .html report", err=True)
            sys.exit(2)
        if not Path(out).resolve().parent.is_dir():
            click.echo(f"error: --out {out}: no such directory", err=True)
            sys.exit(2)
        if Path(out).resolve() == Path(instance).resolve() or (
            past is not None and Path(out).resolve() == Path(past).resolve()
        ):
            click.echo(f"error: --out {out} is an input file; it is never overwritten",
                       err=True)
            sys.exit(2)
    loaded = _load(instance)
    if "null" in loaded.terrain_by_id and any(o.lower().endswith(".json") for o in outs):
        click.echo(f"error: {instance}: a terrain is named 'null', the key of no poste in the "
                   "JSON report; rename it", err=True)
        sys.exit(2)
    past_result = None
    if past is not None:
        from affectation.io import load_result

        try:
            past_result = load_result(past)
        except InstanceError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
    from affectation.errors import SweepError

    try:
        result = run_prechoix(loaded, n_samples=samples, seed=seed, method=method,
                              past=past_result)
    except SweepError as error:  # a draw the engine could not allocate
        click.echo(f"error: {instance}: {error}", err=True)
        sys.exit(1)
    n = len(loaded.internes)
    click.echo(f"pré-choix: {n} internes, {len(result.known)} listes connues, "
               f"{n - len(result.known)} devinées, {samples} tirages (graine {seed})")
    head = result.internes_table().head(10).astype(object)
    click.echo(head.where(head.notna(), "").to_string(index=False))
    for out in outs:
        write_report(result, out)
        click.echo(f"written: {out}")


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
        click.echo(f"error: --out {out}: expected a .json or .html file", err=True)
        sys.exit(2)
    guard_out(out, instance)
    try:
        loaded = load_instance(instance)
    except InstanceError as error:
        click.echo(str(refused(str(error))))
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
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
def live_command(instance: str, journal: str, host: str, port: str, token_file: str | None,
                 tokens_file: str | None, token: str | None, operator: str, key_file: str | None,
                 host_names: tuple[str, ...], result_path: str | None) -> None:
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
            fail(f"--result {result_path}: expected a .json or .xlsx file")
        guard_out(result_path, instance, journal)
    loaded = _load(instance)
    try:
        key = None if key_file is None else read_key(key_file)
    except JournalError as error:
        fail(str(error))
    if result_path is not None:
        _live_result(loaded, journal, result_path, instance, key=key)
        return
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
        click.echo(f"error: the live pages need the 'live' extra ({error.name} is missing): "
                   "pip install 'affectation[live]'", err=True)
        sys.exit(2)
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
    if not token_ready:
        try:
            token_value, token_origin = load_token(token_path)
        except TokenError as error:
            day.close()
            sock.close()
            fail(str(error))
    bound = sock.getsockname()[1]
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: serving on {host}: anyone on this network can open the public "
                   "page; the operator page still needs the token", err=True)
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
        click.echo(f"error: --result {path}: expected a .json or .xlsx file", err=True)
        sys.exit(2)
    try:
        day = ChoiceDay.replay(instance, journal, key=key)  # read only: never touched
    except JournalError as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(2)
    result = day.result()
    state = "over" if day.done else f"not over: {len(day.placed)} placed so far"
    click.echo(summary_table(result))
    click.echo(f"journal: {day.seq} entries, the day is {state}")
    from affectation.io import dumps
    from affectation.live.verify import journal_head, result_document, result_workbook

    head = journal_head(journal)
    click.echo(f"tête du journal : {head}")
    # the result spreadsheet of solve (formula-safe, whole or nothing, never over an input),
    # with the journal's head (a sheet 'journal', or the key 'journal' of the JSON file)
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
            click.echo(f"error: {value!r}: expected CATEGORIE=N (urgences=40)", err=True)
            sys.exit(2)
        out[kind.strip()] = int(count)
    return out


def _marges(values: tuple[str, ...]) -> int | dict[str, int]:
    """``--marge 2`` (every non-mandatory kind) or ``--marge urgences=2`` (repeatable)."""
    if len(values) == 1 and values[0].strip().isdigit():
        return int(values[0])
    if any("=" not in v for v in values):
        click.echo("error: --marge: expected one N, or CATEGORIE=N (repeatable)", err=True)
        sys.exit(2)
    return _agrements(values)


def plan_table(plan) -> str:
    """The plan as the commission reads it: one row per semester, postes per kind."""
    kinds = plan.kinds
    head = ["semestre", "internes", "nouveaux", *kinds, "total", "min R-POS-3"]
    rows = [[s.semestre, s.internes, s.nouveaux, *(s.postes[k] for k in kinds), s.total,
             s.minimum_r_pos_3] for s in plan.semestres]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(str(x).rjust(w) for x, w in zip(r, widths, strict=True))
             for r in [head, *rows]]
    gap = "" if plan.gap is None else f", écart {plan.gap:.1%}"
    lines.append(f"objectif {plan.objective}: {plan.value} (borne prouvée {plan.bound}{gap}), "
                 f"statut {plan.status}, {plan.wall_time:.2f} s")
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
@click.option("--time-limit", type=float, default=None, help="CP-SAT time limit (s).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="plan.json (affectation-plan/1) or plan.xlsx, written whole or not at all.")
def plan(instance: str, promotions: tuple[int, ...], semesters: int, objective: str,
         agrements: tuple[str, ...], marges: tuple[str, ...], per_terrain: bool,
         time_limit: float | None, out: str | None) -> None:
    """The fewest postes per kind and semester that let every maquette finish, proven."""
    if out is not None and not out.lower().endswith((".json", ".xlsx")):
        click.echo(f"error: --out {out}: expected a .json or .xlsx file", err=True)
        sys.exit(2)
    guard_out(out, instance)
    loaded = _load(instance)
    from affectation.cohort import plan_postes, save_plan

    try:
        result = plan_postes(loaded, promotions[0] if len(promotions) == 1 else promotions,
                             semesters, agrement=_agrements(agrements), objective=objective,
                             marge=_marges(marges), per_terrain=per_terrain,
                             time_limit=time_limit)
    except ValueError as error:
        click.echo(f"error: {instance}: {error}", err=True)
        sys.exit(2)
    if not result.feasible:
        click.echo(f"no plan (statut {result.status}); contraintes liantes :", err=True)
        for binding in result.binding:
            click.echo(f"  - {binding.texte}", err=True)
        if out is not None:
            write_out(out, lambda temp: save_plan(result, temp), instance)
        sys.exit(1)
    click.echo(plan_table(result))
    if result.hors_plan:
        click.echo(f"hors plan (maquette déjà irréalisable) : {', '.join(result.hors_plan)}")
    if out is not None:
        write_out(out, lambda temp: save_plan(result, temp), instance)


SIMULATE_COLUMNS = ("internes", "postes", "impositions", "sans_poste", "postes_vacants",
                    "a_l_heure", "finissent", "en_retard", "marge_r_pos_3")


def careers_table(result) -> str:
    """Per semester, the mean of the headline figures and the band of 90 % of the futures."""
    import pandas as pd

    table = result.summary().set_index(["semestre", "metric"])
    cells = {}
    for metric in SIMULATE_COLUMNS:
        fmt = "{:.0%}" if metric == "a_l_heure" else "{:.1f}"
        cells[metric] = [
            f"{fmt.format(table.loc[(label, metric), 'mean'])} "
            f"[{fmt.format(table.loc[(label, metric), 'low'])}-"
            f"{fmt.format(table.loc[(label, metric), 'high'])}]"
            for label in result.labels
        ]
    return pd.DataFrame(cells, index=pd.Index(result.labels, name="semestre")).to_string()


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
def simulate(instance: str, plan_path: str | None, futures: int, semesters: int | None,
             promotion: int | None, echec: float, echec_surnombre: float, surnombre: float,
             method: str, seed: int, workers: int | None, out: str | None) -> None:
    """Careers semester after semester under a plan: impositions, internes without poste,
    completion on time, with the band where 90 % of the futures fall."""
    guard_out(out, instance, *([plan_path] if plan_path else []))
    loaded = _load(instance)
    from affectation.cohort import load_plan
    from affectation.cohort.simulate import simulate as run

    given = None
    if plan_path is not None:
        try:
            given = load_plan(plan_path)
        except InstanceError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        if not given.feasible:
            click.echo(f"error: {plan_path}: the plan has no postes (statut {given.status})",
                       err=True)
            sys.exit(2)
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
        click.echo(f"error: {instance}: {error}", err=True)
        sys.exit(2)
    finally:
        if pool is not None:
            pool.shutdown()
    click.echo(f"{futures} futurs : moyenne [5 %-95 % des futurs]")
    click.echo(careers_table(result))
    if out is not None:
        data = result.to_frame().to_csv(index=False).encode("utf-8")
        write_out(out, lambda temp: temp.write_bytes(data), instance,
                  *([plan_path] if plan_path else []))


# --- the appariement of the docteurs juniors (R-APP), its own group ----------------------------

from affectation.appariement.cli import appariement as _appariement  # noqa: E402

main.add_command(_appariement)


# --- the wishes online (issue 19), its own group -----------------------------------------------

from affectation.voeux.cli import voeux as _voeux  # noqa: E402

main.add_command(_voeux)


if __name__ == "__main__":  # pragma: no cover
    main()
