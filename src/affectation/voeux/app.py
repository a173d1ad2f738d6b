"""The wishes server: the interne's page, the organiser's page, their JSON API (Starlette).

Built on :mod:`affectation.web` like the choice day's pages: the same security headers and
``Host`` check (:class:`~affectation.web.Guard`), the same body checks
(:func:`~affectation.web.read_json_object`), French JSON errors. Pages hold no data and no
secret: the interne's link carries the token in its fragment (``/#jeton=…``, never sent by the
browser), the page's script sends it as ``Authorization: Bearer`` to ``/api/...``. An interne's
token opens only their own list (the interne is found from the token, never from the request);
the organiser's token is separate and opens only the organiser's API.

Every handler of the API goes through one preamble (``api(who)`` in :func:`create_app`): the
rate limit, the token (an interne's, the organiser's, or none for the public page of the
published simulation), and the refusals as French JSON errors whose HTTP status and ``reason``
come from :class:`CampaignError`'s stable ``code``, never from its sentence.

Every save is committed and synced by :meth:`Campaign.save` before it is acknowledged. Each
token (or, without one, each client address) has a token bucket (:class:`RateLimit`): past it,
a 429 in French.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from affectation.voeux.certain import certainly_left
from affectation.voeux.publication import render, simulation
from affectation.voeux.store import Campaign, CampaignError, hash_token, now_utc
from affectation.web import BadRequest, Guard, bearer, error_handlers, json_error, read_json_object

__all__ = ["Chances", "RateLimit", "create_app"]

STATIC = {"voeux.js": "text/javascript", "organisateur.js": "text/javascript",
          "publication.js": "text/javascript", "voeux.css": "text/css"}
LAST_SAVES = 20


class RateLimit:
    """A token bucket per key: ``burst`` requests at once, refilled at ``rate`` per second."""

    def __init__(self, rate: float = 2.0, burst: int = 30) -> None:
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > 100_000:  # forget the oldest keys: bounded memory
            for old in list(self.buckets)[:50_000]:
                del self.buckets[old]
        return True


def _run_prechoix(instance: Any, n_samples: int) -> Any:
    """The pré-choix of the chances (a module function: it runs in a worker process)."""
    from affectation.prechoix import prechoix

    return prechoix(instance, n_samples=n_samples, seed=0)


def _exit_with_parent(parent: int) -> None:
    """The worker's initializer: a server killed outright (``kill -9``, a crash) never shuts
    its pool down, and the worker, blocked on its task queue, would outlive it; a daemon
    thread ends the worker once its parent is gone."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


class Chances:
    """The pré-choix with the saved lists known and the others guessed, computed on demand and
    kept until a save changes the campaign (and at least ``interval`` seconds, so that a
    stream of saves does not start a stream of runs).

    It runs in one worker process (``process=True``, spawned at the first run and kept), so
    that the saves, answered by the server's own process, do not wait on it for the GIL
    (benchmarks/voeux.py ``--refresh-during-saves``); ``process=False``: a thread."""

    def __init__(self, campaign: Campaign, *, n_samples: int = 200,
                 interval: float = 60.0, process: bool = True) -> None:
        self.campaign = campaign
        self.n_samples = n_samples
        self.interval = interval
        self.process = process
        self._pool: Any = None
        self.result: Any = None
        self.version = -1
        self.computed_at = 0.0
        self.computed_utc = ""
        self._lock: asyncio.Lock | None = None

    async def get(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            fresh = self.version == self.campaign.version
            recent = time.monotonic() - self.computed_at < self.interval
            if self.result is None or (not fresh and not recent):
                version = self.campaign.version
                instance = self.campaign.current_instance()
                if self.process:
                    if self._pool is None:
                        import concurrent.futures
                        import multiprocessing

                        self._pool = concurrent.futures.ProcessPoolExecutor(
                            1, mp_context=multiprocessing.get_context("spawn"),
                            initializer=_exit_with_parent, initargs=(os.getpid(),))
                    loop = asyncio.get_running_loop()
                    self.result = await loop.run_in_executor(self._pool, _run_prechoix,
                                                             instance, self.n_samples)
                else:
                    self.result = await asyncio.to_thread(_run_prechoix, instance,
                                                          self.n_samples)
                self.version = version
                self.computed_at = time.monotonic()
                self.computed_utc = now_utc()
            return self.result

    def close(self) -> None:
        """Stop the worker process, if any."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _page(name: str) -> str:
    return resources.files("affectation.voeux").joinpath("templates", name).read_text("utf-8")


def _terrain_view(campaign: Campaign, terrain_id: str) -> dict[str, Any]:
    t = campaign.instance.terrain(terrain_id)
    return {"id": t.id, "nom": t.nom or t.id, "ville": t.ville, "categories": list(t.categories),
            "postes": t.postes}


def create_app(campaign: Campaign, *, organiser_token: str, hosts: Iterable[str] | None = None,
               rate: RateLimit | None = None, chances: Chances | None = None) -> Starlette:
    """The ASGI app of one campaign. ``hosts``: ``Host`` values accepted (``None``: any, for
    tests)."""
    organiser = {organiser_token: "organisateur"}
    limiter = rate or RateLimit()
    guess = chances or Chances(campaign)
    pages = {name: _page(name) for name in ("voeux.html", "organisateur.html",
                                            "publication.html")}
    files = {name: _page(name) for name in STATIC}

    def limited(request: Request) -> Response | None:
        given = request.headers.get("authorization", "")
        client = request.client.host if request.client else "?"
        key = hash_token(given) if given else f"ip:{client}"
        if not limiter.allow(key):
            return json_error(429, "trop de requêtes : attendez quelques secondes puis "
                                   "réessayez", reason="rate_limited")
        return None

    def interne_of(request: Request) -> str | None:
        scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return None
        return campaign.interne_of(given.strip())

    def organiser_ok(request: Request) -> bool:
        return bearer(request.headers, organiser) is not None

    Handler = Callable[..., Awaitable[Response]]

    def api(who: str) -> Callable[[Handler], Handler]:
        """The preamble of every API handler: the rate limit, then the token (``interne``:
        the handler gets the interne's id; ``organisateur``; ``public``: none), then the
        refusals of the body (:class:`BadRequest`) and of the campaign
        (:class:`CampaignError`, its ``status`` and ``code``) as French JSON errors."""
        def wrap(handler: Handler) -> Handler:
            async def wrapped(request: Request) -> Response:
                if (stop := limited(request)) is not None:
                    return stop
                args: tuple[Any, ...] = ()
                if who == "interne":
                    interne = interne_of(request)
                    if interne is None:
                        return json_error(401, "jeton manquant ou faux : ouvrez la page par "
                                               "votre lien personnel (reçu par courriel)",
                                          reason="token")
                    args = (interne,)
                elif who == "organisateur" and not organiser_ok(request):
                    return json_error(401, "jeton de l'organisateur manquant ou faux : ouvrez "
                                           "la page par le lien affiché au démarrage du "
                                           "serveur", reason="token")
                try:
                    return await handler(request, *args)
                except BadRequest as error:
                    return json_error(error.status, error.message, reason="bad_request")
                except CampaignError as error:
                    return json_error(error.status, str(error), reason=error.motif)
            return wrapped
        return wrap

    async def page(request: Request) -> Response:
        return HTMLResponse(pages["voeux.html"])

    async def organiser_page(request: Request) -> Response:
        return HTMLResponse(pages["organisateur.html"])

    async def public_page(request: Request) -> Response:
        return HTMLResponse(pages["publication.html"])

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return json_error(404, "fichier introuvable")
        return Response(files[name], media_type=STATIC[name])

    def me(interne_id: str) -> dict[str, Any]:
        interne = campaign.instance.interne(interne_id)
        why = campaign.eligibility(interne_id)
        saved = campaign.latest_of(interne_id)
        procuration = campaign.procurations().get(interne_id)
        return {
            "interne": interne.id, "libelle": interne.libelle, "nom": interne.nom,
            "prenom": interne.prenom, "rang": interne.rang, "semestre": interne.semestre,
            "campagne": campaign.instance.nom or campaign.campaign_id,
            "fermee": campaign.is_closed(), "fermeture": campaign.fermeture,
            "terrains": [{**_terrain_view(campaign, t), "raison": why[t]}
                         for t in why],
            "voeux": list(saved.voeux) if saved else [],
            "recu": campaign.receipt_of(saved).to_dict() if saved else None,
            "procuration": None if procuration is None else {
                "mode": procuration.mode, "mandataire": procuration.mandataire,
                "heure": procuration.time},
            "nominatif": interne_id in campaign.consents(),
            "couple": interne_id in campaign.instance.couple_of,
        }

    @api("interne")
    async def api_me(request: Request, who: str) -> Response:
        return JSONResponse(me(who))

    @api("interne")
    async def api_save(request: Request, who: str) -> Response:
        body = await read_json_object(request, {"voeux": "list", "precedent": "str"},
                                      required=("voeux",))
        saved = campaign.save(who, body["voeux"], previous=body.get("precedent"))
        return JSONResponse({"recu": campaign.receipt_of(saved).to_dict(),
                             "message": f"liste de {len(saved.voeux)} vœux enregistrée le "
                                        f"{saved.time} (UTC)"})

    @api("interne")
    async def api_receipt(request: Request, who: str) -> Response:
        saved = campaign.latest_of(who)
        if saved is None:
            return json_error(404, "aucune liste enregistrée pour l'instant")
        data = json.dumps(campaign.receipt_of(saved).to_dict(), ensure_ascii=False, indent=2)
        return Response(data, media_type="application/json", headers={
            "content-disposition": f"attachment; filename=recu-{who}-{saved.seq}.json"})

    @api("interne")
    async def api_procuration(request: Request, who: str) -> Response:
        body = await read_json_object(request, {"mode": "str", "mandataire": "str"},
                                      required=("mode",))
        done = campaign.set_procuration(who, body["mode"], body.get("mandataire") or "")
        said = {"present": "vous serez présent(e) le jour du choix",
                "liste": "absent(e) : votre liste sera jouée par procuration",
                "mandataire": f"absent(e) : {done.mandataire} choisira pour vous"}[done.mode]
        return JSONResponse({"procuration": {"mode": done.mode, "mandataire": done.mandataire,
                                             "heure": done.time},
                             "message": f"enregistré : {said}"})

    @api("interne")
    async def api_consent(request: Request, who: str) -> Response:
        body = await read_json_object(request, {"nominatif": "bool"}, required=("nominatif",))
        when = campaign.set_consent(who, body["nominatif"])
        said = ("vous apparaîtrez sous votre nom dans la simulation publiée"
                if body["nominatif"] else "vous apparaîtrez anonymement dans la simulation "
                                          "publiée (numéro et semestre, sans nom)")
        return JSONResponse({"nominatif": body["nominatif"], "heure": when,
                             "message": f"enregistré le {when} (UTC) : {said}"})

    def couple_view(who: str) -> dict[str, Any]:
        members = campaign.instance.couple_of[who].internes
        proposal = campaign.couple_proposal(who)
        standing = campaign.couple_list(who)

        def shown(joint: Any) -> dict[str, Any] | None:
            if joint is None:
                return None
            return {"proposition": joint.seq,
                    "auteur": campaign.instance.interne(joint.auteur).libelle,
                    "de_vous": joint.auteur == who, "heure": joint.time,
                    "confirmee": joint.confirmed,
                    "voeux": [[_terrain_view(campaign, a), _terrain_view(campaign, b)]
                              for a, b in joint.voeux]}
        return {
            "membres": [{"interne": m, "libelle": campaign.instance.interne(m).libelle,
                         "vous": m == who,
                         "terrains": [_terrain_view(campaign, t)
                                      for t, why in campaign.eligibility(m).items()
                                      if why is None]} for m in members],
            "proposee": shown(proposal), "en_vigueur": shown(standing),
        }

    @api("interne")
    async def api_couple(request: Request, who: str) -> Response:
        if who not in campaign.instance.couple_of:
            return json_error(404, "vous n'êtes pas inscrit(e) en couple dans cette campagne",
                              reason="unknown")
        return JSONResponse(couple_view(who))

    @api("interne")
    async def api_couple_propose(request: Request, who: str) -> Response:
        body = await read_json_object(request, {"voeux": "pairs"}, required=("voeux",))
        done = campaign.propose_couple_list(who, body["voeux"])
        other = next(m for m in done.couple if m != who)
        return JSONResponse({**couple_view(who), "message": (
            f"liste commune de {len(done.voeux)} paires proposée le {done.time} (UTC) : "
            f"elle comptera quand {campaign.instance.interne(other).libelle} l'aura "
            "confirmée")})

    @api("interne")
    async def api_couple_confirm(request: Request, who: str) -> Response:
        body = await read_json_object(request, {"proposition": "int"},
                                      required=("proposition",))
        done = campaign.confirm_couple_list(who, body["proposition"])
        return JSONResponse({**couple_view(who), "message": (
            f"liste commune de {len(done.voeux)} paires confirmée le {done.confirmed} (UTC) : "
            "c'est celle du couple")})

    @api("interne")
    async def api_chances(request: Request, who: str) -> Response:
        result = await guess.get()
        position = result.order.index(who) + 1
        saved = campaign.latest_of(who)
        mine = list(saved.voeux) if saved else []
        floor = certainly_left(campaign.instance, who, mine,
                               {i: s.voeux for i, s in campaign.latest().items()})
        wishes = []
        records = {r["terrain"]: r for r in result.terrain_records()}
        if who in result.known:
            for rank, terrain, p in result.wishes(who):
                wishes.append({"rang": rank, **_terrain_view(campaign, terrain),
                               "probabilite": p,
                               "libre_a_votre_tour": result.free_at(terrain, position),
                               "postes_surement_libres": floor.get(terrain),
                               "rang_limite_median": records[terrain]["rang_limite_median"]})
        probable = []
        row = result.probabilities().loc[who]
        for terrain, p in row.sort_values(ascending=False).items():
            if p <= 0 or len(probable) >= 5:
                break
            probable.append({"terrain": None if terrain == "sans_poste" else terrain,
                             "nom": "sans poste" if terrain == "sans_poste"
                             else _terrain_view(campaign, terrain)["nom"],
                             "probabilite": float(p)})
        why = campaign.eligibility(who)
        limits = [{"terrain": r["terrain"], "nom": r["nom"] or r["terrain"], "ville": r["ville"],
                   "postes": r["postes"], "rang_limite_median": r["rang_limite_median"],
                   "rang_limite_p05": r["rang_limite_p05"],
                   "rang_limite_p95": r["rang_limite_p95"]}
                  for r in result.terrain_records() if why.get(r["terrain"]) is None]
        return JSONResponse({
            "listes_connues": len(result.known), "internes": len(campaign.instance.internes),
            "tirages": result.n_samples, "calcule_le": guess.computed_utc,
            "position": position, "voeux": wishes, "probables": probable,
            "votre_liste_connue": who in result.known, "rangs_limites": limits,
        })

    def publication_view() -> dict[str, Any] | None:
        kept = campaign.published()
        if kept is None:
            return None
        number, when, raw = kept
        return render(raw, campaign.instance, campaign.consents(), number=number,
                      published_at=when)

    def couple_status(members: tuple[str, str]) -> dict[str, Any]:
        proposal = campaign.couple_proposal(members[0])
        standing = campaign.couple_list(members[0])
        return {"libelles": [campaign.instance.interne(m).libelle for m in members],
                "paires": None if standing is None else len(standing.voeux),
                "confirmee": None if standing is None else standing.confirmed,
                "en_attente": proposal is not None and proposal.confirmed is None}

    @api("organisateur")
    async def api_organiser(request: Request) -> Response:
        latest = campaign.latest()
        procurations = campaign.procurations()
        groups: dict[int, dict[str, Any]] = {}
        for interne in campaign.instance.internes:
            g = groups.setdefault(interne.semestre, {"semestre": interne.semestre,
                                                     "internes": 0, "enregistrees": 0})
            g["internes"] += 1
            g["enregistrees"] += interne.id in latest
        missing = [{"interne": i.id, "libelle": i.libelle}
                   for i in campaign.instance.internes if i.id not in latest]
        last = sorted(latest.values(), key=lambda s: s.seq, reverse=True)[:LAST_SAVES]
        return JSONResponse({
            "campagne": campaign.campaign_id, "nom": campaign.instance.nom,
            "fermee": campaign.is_closed(), "fermeture": campaign.fermeture,
            "internes": len(campaign.instance.internes), "enregistrees": len(latest),
            "par_semestre": [groups[k] for k in sorted(groups)],
            "sans_liste": missing,
            "dernieres": [{"interne": s.interne,
                           "libelle": campaign.instance.interne(s.interne).libelle,
                           "heure": s.time, "voeux": len(s.voeux)} for s in last],
            "procurations": [{"interne": p.interne,
                              "libelle": campaign.instance.interne(p.interne).libelle,
                              "mode": p.mode, "mandataire": p.mandataire, "heure": p.time}
                             for p in procurations.values() if p.mode != "present"],
            "couples": [couple_status(c.internes) for c in campaign.instance.couples],
            "nominatifs": len(campaign.consents()),
            "publication": publication_view(),
        })

    @api("organisateur")
    async def api_export(request: Request) -> Response:
        from affectation.io import instance_to_dict

        doc = instance_to_dict(campaign.current_instance())
        return JSONResponse(doc, headers={"content-disposition":
                                          "attachment; filename=choix.json"})

    @api("organisateur")
    async def api_publish(request: Request) -> Response:
        await read_json_object(request, {})
        result = await guess.get()
        number, when = campaign.publish(simulation(result, guess.computed_utc))
        view = publication_view()
        return JSONResponse({"publication": view,
                             "message": f"simulation n° {number} publiée le {when} (UTC) : "
                                        f"{view['nominatifs'] if view else 0} interne(s) "
                                        "nommé(s), les autres anonymes"})

    @api("public")
    async def api_publication(request: Request) -> Response:
        view = publication_view()
        if view is None:
            return json_error(404, "aucune simulation publiée pour l'instant")
        return JSONResponse(view)

    routes = [
        Route("/", page),
        Route("/organisateur", organiser_page),
        Route("/static/{name:str}", static),
        Route("/api/moi", api_me),
        Route("/api/liste", api_save, methods=["POST"]),
        Route("/api/recu", api_receipt),
        Route("/api/procuration", api_procuration, methods=["POST"]),
        Route("/api/chances", api_chances),
        Route("/api/organisateur", api_organiser),
        Route("/api/export", api_export),
        Route("/api/accord", api_consent, methods=["POST"]),
        Route("/api/couple", api_couple),
        Route("/api/couple/proposer", api_couple_propose, methods=["POST"]),
        Route("/api/couple/confirmer", api_couple_confirm, methods=["POST"]),
        Route("/api/publier", api_publish, methods=["POST"]),
        Route("/publication", public_page),
        Route("/api/publication", api_publication),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        try:
            yield
        finally:
            guess.close()

    app = Starlette(routes=routes, exception_handlers=error_handlers(), lifespan=lifespan,
                    middleware=[Middleware(Guard, hosts=hosts)])
    app.state.campaign = campaign
    return app
