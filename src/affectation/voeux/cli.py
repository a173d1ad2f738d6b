"""``affectation voeux``: open a campaign, issue the links, serve, export, close, check a receipt.

Exit status as the rest of the command line: 0 done, 2 bad input (a French sentence, nothing
written), 1 a receipt refused by ``recu verifier``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import NoReturn

import click

from affectation.errors import AffectationError
from affectation.voeux.store import Campaign, CampaignError

__all__ = ["voeux"]

_FERMETURE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _fail(message: str) -> NoReturn:
    click.echo(f"erreur : {message}", err=True)
    sys.exit(2)


def _campaign(base: str) -> Campaign:
    try:
        return Campaign(base)
    except CampaignError as error:
        _fail(str(error))


@click.group("voeux", context_settings={"help_option_names": ["-h", "--help"]})
def voeux() -> None:
    """Vœux en ligne : les internes classent leurs vœux avant le jour du choix."""


@voeux.command("ouvrir")
@click.argument("instance", type=click.Path(exists=False))
@click.option("--base", required=True, type=click.Path(dir_okay=False),
              help="Fichier SQLite de la campagne (créé).")
@click.option("--fermeture", default=None, metavar="AAAA-MM-JJTHH:MM",
              help="Heure (UTC) où les listes se figent.")
def ouvrir(instance: str, base: str, fermeture: str | None) -> None:
    """Ouvrir une campagne de vœux pour INSTANCE."""
    from affectation.io import load_instance

    if fermeture is not None and not _FERMETURE.fullmatch(fermeture):
        _fail(f"--fermeture {fermeture!r} : attendu AAAA-MM-JJTHH:MM (heure UTC)")
    if Path(base).exists():
        _fail(f"--base {base} : le fichier existe déjà (une campagne par base)")
    if not Path(base).absolute().parent.is_dir():
        _fail(f"--base {base} : le dossier n'existe pas")
    try:
        loaded = load_instance(instance)
    except AffectationError as error:
        _fail(str(error))
    try:
        campaign = Campaign.open(loaded, base, fermeture=fermeture and fermeture + ":00")
    except CampaignError as error:
        _fail(str(error))
    click.echo(f"campagne ouverte : {base} ({len(loaded.internes)} internes, "
               f"{len(loaded.terrains)} terrains), identifiant {campaign.campaign_id}")
    campaign.close()


@voeux.command("liens")
@click.option("--base", required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Fichier CSV des liens (id;nom;prenom;lien).")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True,
              help="Adresse du serveur telle que les internes l'ouvriront.")
@click.option("--renouveler", "renew", default=None, metavar="ID",
              help="Remplacer le lien d'un interne (l'ancien ne marche plus).")
@click.option("--tous", is_flag=True, help="Remplacer les liens de tous les internes.")
def liens(base: str, out: str, url: str, renew: str | None, tous: bool) -> None:
    """Un lien personnel par interne ; le jeton n'est gardé que haché."""
    campaign = _campaign(base)
    if Path(out).exists():
        _fail(f"--out {out} : le fichier existe déjà (il contient des liens secrets : "
              "supprimez-le ou choisissez un autre nom)")
    if Path(out).resolve() == Path(base).resolve():
        _fail("--out ne peut pas être la base")
    ids = [i.id for i in campaign.instance.internes]
    if renew is not None:
        if renew not in campaign.instance.interne_by_id:
            _fail(f"--renouveler {renew!r} : interne inconnu de la campagne")
        ids = [renew]
    elif campaign.issued() and not tous:
        _fail("les liens ont déjà été émis : --renouveler ID pour un interne, --tous pour "
              "tout remplacer")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["id", "nom", "prenom", "lien"])
    tokens = campaign.issue_tokens(ids)
    for interne_id, token in tokens.items():
        interne = campaign.instance.interne(interne_id)
        writer.writerow([interne.id, interne.nom or "", interne.prenom or "",
                         f"{url.rstrip('/')}/#jeton={token}"])
    import os

    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(buffer.getvalue())
    click.echo(f"{len(tokens)} lien(s) écrit(s) dans {out} (mode 600)")


@voeux.command("serveur")
@click.option("--base", required=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default="8000", show_default=True)
@click.option("--jeton-fichier", "token_file", default=None, type=click.Path(dir_okay=False),
              help="Fichier du jeton de l'organisateur (par défaut BASE.jeton).")
@click.option("--tirages", type=click.IntRange(min=10, max=10000), default=200,
              show_default=True, help="Tirages du pré-choix des chances.")
@click.option("--rafraichir", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Secondes au moins entre deux calculs des chances.")
def serveur(base: str, host: str, port: str, token_file: str | None, tirages: int,
            rafraichir: float) -> None:
    """Servir les pages des internes et de l'organisateur."""
    from affectation.live.startup import StartupError, bind, parse_port
    from affectation.voeux.app import Chances, create_app
    from affectation.web import TokenError, allowed_hosts, load_token

    campaign = _campaign(base)
    try:
        port_number = parse_port(port)
        token, origin = load_token(token_file or base + ".jeton")
        sock = bind(host, port_number)
    except (StartupError, TokenError) as error:
        _fail(str(error))
    bound = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"attention : serveur ouvert sur {host} : mettez-le derrière HTTPS",
                   err=True)
    click.echo(f"internes :      http://{shown}:{bound}/#jeton=… (liens de liens.csv)")
    click.echo(f"organisateur :  http://{shown}:{bound}/organisateur#jeton={token}")
    click.echo(f"jeton :         {origin}")
    app = create_app(campaign, organiser_token=token, hosts=allowed_hosts(host, bound),
                     chances=Chances(campaign, n_samples=tirages,
                                                     interval=rafraichir))
    import uvicorn

    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


@voeux.command("exporter")
@click.option("--base", required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Instance JSON avec les dernières listes (et OUT.procurations.json).")
def exporter(base: str, out: str) -> None:
    """L'instance avec la dernière liste de chacun ; voeux_connus: false sans liste."""
    from affectation.io import dumps, instance_to_dict
    from affectation.io._files import atomic_write_bytes

    campaign = _campaign(base)
    if not out.endswith(".json"):
        _fail(f"--out {out} : attendu un fichier .json")
    target = Path(out)
    if target.resolve() == Path(base).resolve():
        _fail("--out ne peut pas être la base")
    side = target.with_suffix(".procurations.json")
    atomic_write_bytes(target, dumps(instance_to_dict(campaign.current_instance())))
    atomic_write_bytes(side, dumps(campaign.procurations_document()))
    saved = len(campaign.latest())
    click.echo(f"{out} : {saved} listes enregistrées sur {len(campaign.instance.internes)} "
               f"internes ; procurations dans {side}")


@voeux.command("publier")
@click.option("--base", required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Fichier JSON de la simulation publiée (anonymisée).")
@click.option("--tirages", type=click.IntRange(min=10, max=10000), default=200,
              show_default=True, help="Tirages du pré-choix.")
@click.option("--seed", type=int, default=0, show_default=True)
def publier(base: str, out: str, tirages: int, seed: int) -> None:
    """Publier la simulation : nommés ceux qui l'ont accepté, les autres anonymes."""
    from affectation.io import dumps
    from affectation.io._files import atomic_write_bytes
    from affectation.prechoix import prechoix
    from affectation.voeux.publication import render, simulation
    from affectation.voeux.store import now_utc

    campaign = _campaign(base)
    if not out.endswith(".json"):
        _fail(f"--out {out} : attendu un fichier .json")
    if Path(out).resolve() == Path(base).resolve():
        _fail("--out ne peut pas être la base")
    result = prechoix(campaign.current_instance(), n_samples=tirages, seed=seed)
    number, when = campaign.publish(simulation(result, now_utc()))
    kept = campaign.published()
    assert kept is not None
    doc = render(kept[2], campaign.instance, campaign.consents(), number=number,
                 published_at=when)
    atomic_write_bytes(Path(out), dumps(doc))
    click.echo(f"{out} : simulation n° {number} publiée ({doc['nominatifs']} interne(s) "
               f"nommé(s) sur {doc['nombre_internes']}, les autres anonymes ; "
               f"{doc['listes_connues']} listes connues)")


@voeux.command("fermer")
@click.option("--base", required=True, type=click.Path(dir_okay=False))
def fermer(base: str) -> None:
    """Figer les listes : plus aucun enregistrement."""
    campaign = _campaign(base)
    when = campaign.close_lists()
    click.echo(f"campagne fermée le {when} (UTC) : les listes sont figées")


@voeux.group("recu")
def recu() -> None:
    """Les reçus des internes."""


@recu.command("verifier")
@click.option("--base", required=True, type=click.Path(dir_okay=False))
@click.argument("recu_path", metavar="RECU", type=click.Path(dir_okay=False))
def verifier(base: str, recu_path: str) -> None:
    """Vérifier un reçu téléchargé par un interne (exit 0 valide, 1 refusé)."""
    from affectation.voeux.receipt import Receipt, verify

    campaign = _campaign(base)
    try:
        doc = json.loads(Path(recu_path).read_text("utf-8"))
        receipt = Receipt.from_dict(doc)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        _fail(f"{recu_path} : reçu illisible ({error})")
    ok, sentence = verify(campaign, receipt)
    click.echo(sentence, err=not ok)
    sys.exit(0 if ok else 1)
