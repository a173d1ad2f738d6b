"""The ``affectation`` command line: solve, validate, explain, demo, whatif.

Exit status: 0 when fine, 2 for bad input (nothing written), 1 for a solve that found no
allocation (user constraints in conflict). These commands and the JSON formats are a
contract other tools rely on (FORMAT.md).
"""

from __future__ import annotations

import sys

import click

from affectation.errors import InstanceError
from affectation.model import Instance
from affectation.result import Result

__all__ = ["main"]

METHODS = ("serial", "cpsat")


def _load(path: str) -> Instance:
    from affectation.io import load_instance

    try:
        return load_instance(path)
    except InstanceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _run(instance: Instance, method: str, time_limit: float | None, workers: int,
         seed: int) -> Result:
    if method == "serial":
        from affectation.serial import serial_dictatorship

        return serial_dictatorship(instance)
    from affectation.cpsat import solve

    return solve(instance, time_limit=time_limit, workers=workers, seed=seed)


def summary_table(result: Result) -> str:
    """The short summary printed after a solve."""
    s = result.summary()
    rows = [
        ("methode", result.methode),
        ("internes", s["internes"]),
        ("placés", s["places"]),
        ("sans poste", s["sans_poste"]),
        ("impositions", s["impositions"]),
        ("1er vœu", f"{s['premier_voeu']:.1%}"),
        ("top 3", f"{s['top3']:.1%}"),
        ("rang médian du vœu", s["rang_median"]),
        ("postes vacants", s["postes_vacants"]),
    ]
    if result.info is not None:
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


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.option("--method", type=click.Choice(METHODS), default="serial", show_default=True,
              help="serial: the choice day replayed; cpsat: the exact model.")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Result file (FORMAT.md), written whole or not at all.")
@click.option("--time-limit", type=float, default=None, help="CP-SAT time limit (s).")
@click.option("--workers", type=int, default=1, show_default=True, help="CP-SAT workers.")
@click.option("--seed", type=int, default=0, show_default=True, help="CP-SAT random seed.")
def solve(instance: str, method: str, out: str | None, time_limit: float | None,
          workers: int, seed: int) -> None:
    """Allocate the postes of INSTANCE (JSON file, CSV folder or .xlsx)."""
    loaded = _load(instance)
    result = _run(loaded, method, time_limit, workers, seed)
    if not result.affectations and loaded.internes:
        click.echo(summary_table(result))
        click.echo("error: no allocation found", err=True)
        sys.exit(1)
    if out is not None:
        from affectation.io import save_result

        save_result(result, out)
    click.echo(summary_table(result))
    if out is not None:
        click.echo(f"written: {out}")


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


@main.command()
@click.argument("instance", type=click.Path(exists=False))
@click.argument("interne")
def explain(instance: str, interne: str) -> None:
    """Tell, in plain words, how INTERNE got their poste (serial replay)."""
    from affectation.serial import serial_dictatorship

    loaded = _load(instance)
    if interne not in loaded.interne_by_id:
        click.echo(f"error: {instance}: unknown interne {interne!r}", err=True)
        sys.exit(2)
    click.echo(serial_dictatorship(loaded).explain(interne))


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the serial result file.")
def demo(out: str | None) -> None:
    """Run both engines on the bundled example and print the summary."""
    from affectation.check import check
    from affectation.cpsat import solve as cpsat_solve
    from affectation.datasets import example
    from affectation.serial import serial_dictatorship

    instance = example()
    click.echo(f"Instance: {instance.nom} ({len(instance.internes)} internes, "
               f"{len(instance.terrains)} terrains)\n")
    serial = serial_dictatorship(instance)
    click.echo(summary_table(serial) + "\n")
    exact = cpsat_solve(instance)
    click.echo(summary_table(exact) + "\n")
    same = exact.same_allocation(serial)
    violations = check(instance, serial) + check(instance, exact)
    click.echo(f"Same allocation, interne by interne: {'yes' if same else 'NO'}")
    click.echo(f"Checker: {len(violations)} violation(s)")
    if serial.impositions:
        click.echo("\n" + serial.explain(serial.impositions[0]))
    if out is not None:
        from affectation.io import save_result

        save_result(serial, out)
        click.echo(f"\nwritten: {out}")
    if not same or violations:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
