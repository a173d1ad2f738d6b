"""The room's screens: a Starlette app served by uvicorn (issues 9 and 15).

``/`` is the public page (the état des postes, read-only, updated by server-sent events from
``/events``), ``/ecran`` the room's big screen, ``/operateur`` the operator's console. Pages and
their scripts hold no data and no secret; everything the operator does goes through
``/api/...`` with the token in ``Authorization: Bearer`` (never the query string).

Every write names what it acts on: ``{"interne": …, "seq": …}``, the interne the console shows
as called and the ``seq`` of the state it shows; an undo names the entry it cancels
(``{"annule": SEQ}``). Anything else is a 409 and nothing is recorded, so of N identical clicks
exactly one is recorded. The operator's name comes from the server (``--operateur``), never
from the body. Bodies are checked by :mod:`affectation.web` (JSON object, 64 KiB, fields
strings or pairs of strings): a bad request is a 4xx with a French message, never a 500.

Each write is journalled and fsynced by :class:`~affectation.live.day.ChoiceDay` before the
answer is sent and before the update is pushed to the screens. When the journal cannot be
written (a full disk), the day turns read-only: every write is a 503 naming the cause until
``POST /api/reprendre`` finds the journal whole again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from affectation.live.day import ChoiceDay, ChoiceRefused
from affectation.live.journal import JournalUnavailable
from affectation.live.verify import result_document, result_workbook
from affectation.web import (
    BadRequest,
    Guard,
    bearer,
    error_handlers,
    json_error,
    read_json_object,
)

__all__ = ["Broadcast", "create_app", "public_state", "serve"]

LAST_CHOICES = 15
"""How many of the last entries the public page shows."""
NEXT_CALLED = 5
"""How many internes after the called one the screens show."""

RETRY_MS = 1000
"""How long a page waits before reconnecting its event stream (SSE ``retry``)."""

STATIC = {
    "public.js": "text/javascript", "console.js": "text/javascript",
    "ecran.js": "text/javascript",
    "public.css": "text/css", "console.css": "text/css", "ecran.css": "text/css",
}
"""The files ``/static/NAME`` serves from ``templates/``; nothing else."""

FIELDS = {
    "choose": {"interne": "str", "seq": "int", "terrain": "str|pair"},
    "procuration": {"interne": "str", "seq": "int"},
    "procurations": {"interne": "str", "seq": "int"},
    "pass": {"interne": "str", "seq": "int"},
    "impose": {"interne": "str", "seq": "int", "terrain": "str"},
    "undo": {"annule": "int", "seq": "int"},
}
REQUIRED = {
    "choose": ("interne", "seq", "terrain"),
    "procuration": ("interne", "seq"),
    "procurations": ("interne", "seq"),
    "pass": ("interne", "seq"),
    "impose": ("interne", "seq"),
    "undo": ("annule",),
}


def public_state(day: ChoiceDay) -> dict[str, Any]:
    """What the screens show: the état des postes, who is called and who is next, the last
    choices, the journal's head; internes named by their ``libelle`` beside their id."""
    state = day.state()
    label = _labeller(day)
    choices = [c for c in state["choices"] if not c["undone"]]
    state["choices"] = [{**c, "libelle": label(c["interne"])}
                        for c in choices[-LAST_CHOICES:][::-1]]
    current = state["current"]
    if current is not None:
        current["libelles"] = [label(i) for i in current["internes"]]
        after = current["position"] - 1 + len(current["internes"])
        following = [i for i in day.order[after:] if i not in day.placed][:NEXT_CALLED]
        state["suivants"] = [{"interne": i, "libelle": label(i)} for i in following]
    else:
        state["suivants"] = []
    state["categories"] = _categories(day)
    state["indisponible"] = day.unavailable
    return state


def _categories(day: ChoiceDay) -> list[dict[str, Any]]:
    """Per category of the round (a terrain counts in its first): the free postes, and how
    many of them the called interne (a couple: the first called) may take now."""
    caller = day.current
    if caller is None:
        return []
    open_to = {o.terrain for o in day.options(caller.internes[0]) if o.open}
    out: dict[str, dict[str, Any]] = {}
    for t in day.instance.terrains:
        if day.instance.rounds[day.instance.terrain_round[t.id]].nom != caller.round:
            continue
        row = out.setdefault(t.categories[0], {"categorie": t.categories[0], "libres": 0,
                                               "ouverts": 0})
        row["libres"] += day.free(t.id)
        row["ouverts"] += day.free(t.id) if t.id in open_to else 0
    return list(out.values())


def _labeller(day: ChoiceDay) -> Callable[[str | None], str]:
    def label(ident: str | None) -> str:
        if not ident:
            return ""
        parts = []
        for one in ident.split("+"):
            try:
                parts.append(day.instance.interne(one).libelle)
            except KeyError:
                parts.append(one)
        return " + ".join(parts)
    return label


class Broadcast:
    """Every public state since start-up, serialised once, and a condition the viewers wait
    on: a viewer is sent each version in turn (every update delivered), unless it falls more
    than ``KEEP`` versions behind, when it jumps to the latest."""

    KEEP = 256

    def __init__(self, day: ChoiceDay) -> None:
        self.day = day
        self.version = 0
        self.payloads: dict[int, tuple[int, str]] = {0: (day.seq, self._render())}
        self._changed: asyncio.Condition | None = None

    def _render(self) -> str:
        return json.dumps(public_state(self.day), ensure_ascii=False)

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    @property
    def payload(self) -> str:
        return self.payloads[self.version][1]

    async def publish(self) -> None:
        self.version += 1
        self.payloads[self.version] = (self.day.seq, self._render())
        self.payloads.pop(self.version - self.KEEP, None)
        async with self._condition():
            self._condition().notify_all()

    async def next_after(self, seen: int) -> int:
        """The version to send after ``seen`` (waiting for one if there is none yet)."""
        if seen == self.version:
            async with self._condition():
                await self._condition().wait_for(lambda: self.version != seen)
        return seen + 1 if seen + 1 in self.payloads and seen >= 0 else self.version


def _page(name: str) -> str:
    return resources.files("affectation.live").joinpath("templates", name).read_text("utf-8")


def create_app(day: ChoiceDay, *, token: str | None = None, operator: str = "",
               tokens: Mapping[str, str] | None = None,
               hosts: Iterable[str] | None = None) -> Starlette:
    """The ASGI app of one day.

    ``token`` guards every write and the operator's data, and ``operator`` is the name the
    journal records for it; ``tokens`` maps more tokens to their operators' names (one token
    per operator). ``hosts``: the ``Host`` values accepted (``None``: any, for tests)."""
    accepted = dict(tokens or {})
    if token is not None:
        accepted[token] = operator
    if not accepted:
        raise ValueError("create_app needs a token")
    broadcast = Broadcast(day)
    lock = asyncio.Lock()
    pages = {name: _page(name) for name in ("public.html", "operator.html", "ecran.html")}
    files = {name: _page(name) for name in STATIC}
    label = _labeller(day)

    def who(request: Request) -> str | None:
        return bearer(request.headers, accepted)

    def refuse() -> JSONResponse:
        return json_error(401, "jeton manquant ou faux : ouvrez la console par le lien "
                               "affiché au démarrage du serveur (affectation live)",
                          reason="token")

    async def public(request: Request) -> Response:
        return HTMLResponse(pages["public.html"])

    async def screen(request: Request) -> Response:
        return HTMLResponse(pages["ecran.html"])

    async def operator_page(request: Request) -> Response:
        # the page holds no data: it reads the token from the link's fragment (#jeton=…),
        # which the browser never sends, and sends it as a bearer to the API
        return HTMLResponse(pages["operator.html"])

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return json_error(404, "fichier introuvable")
        return Response(files[name], media_type=STATIC[name])

    async def state(request: Request) -> Response:
        return Response(broadcast.payload, media_type="application/json")

    async def events(request: Request) -> Response:
        async def stream():
            seen = -1
            while True:
                seen = await broadcast.next_after(seen)
                seq, payload = broadcast.payloads[seen]
                # retry: a page reconnects 1 s after a restart (the browsers' default is 3 s:
                # on the day the room's screen would stay stale that long)
                yield {"event": "state", "id": str(seq), "data": payload, "retry": RETRY_MS}

        return EventSourceResponse(stream(), ping=15)

    async def options(request: Request) -> Response:
        if who(request) is None:
            return refuse()
        return JSONResponse(_options(day))

    def unavailable() -> JSONResponse:
        return json_error(503, day.unavailable or "journal indisponible",
                          reason="journal_unavailable")

    def action(name: str):
        async def handler(request: Request) -> Response:
            name_of_operator = who(request)
            if name_of_operator is None:
                return refuse()
            try:
                body = await read_json_object(request, FIELDS[name], required=REQUIRED[name])
            except BadRequest as error:
                return json_error(error.status, error.message, reason="bad_request")
            async with lock:
                if day.unavailable is not None:
                    return unavailable()
                stale = _stale(day, name, body, label)
                if stale is not None:
                    return json_error(409, stale, reason="not_current", rule="R-ORD",
                                      taken_by=None, seq=day.seq)
                try:
                    record = _act(day, name, body, name_of_operator, label)
                except ChoiceRefused as error:
                    if error.record is not None:  # a refused announcement, journalled
                        await broadcast.publish()
                    return json_error(409, str(error), reason=error.reason, rule=error.rule,
                                      taken_by=error.taken_by, entry=error.record,
                                      options=_options(day), journal=_head(day))
                except JournalUnavailable:
                    await broadcast.publish()  # the screens say the journal is unavailable
                    return unavailable()
                await broadcast.publish()
            why = {m: day.why_not(m) for m in str(record.get("interne") or "").split("+") if m}
            return JSONResponse({"entry": {**record, "libelle": label(record.get("interne"))},
                                 "options": _options(day), "why_not": why,
                                 "journal": _head(day)})
        return handler

    async def resume_writes(request: Request) -> Response:
        if who(request) is None:
            return refuse()
        async with lock:
            ok = day.recover()
            await broadcast.publish()
        if not ok:
            return unavailable()
        return JSONResponse({"ok": True, "message": "journal de nouveau disponible : les "
                                                    "écritures reprennent",
                             "options": _options(day), "journal": _head(day)})

    def result(fmt: str):
        async def handler(request: Request) -> Response:
            if who(request) is None:
                return refuse()
            res = day.result()
            if fmt == "json":
                return JSONResponse(result_document(res, day.head))
            data = result_workbook(res, day.instance, day.head)
            return Response(data, media_type="application/vnd.openxmlformats-"
                            "officedocument.spreadsheetml.sheet",
                            headers={"content-disposition": "attachment; "
                                                           "filename=resultat.xlsx"})
        return handler

    routes = [
        Route("/", public),
        Route("/ecran", screen),
        Route("/static/{name:str}", static),
        Route("/api/state", state),
        Route("/events", events),
        Route("/operateur", operator_page),
        Route("/api/options", options),
        Route("/api/choose", action("choose"), methods=["POST"]),
        Route("/api/procuration", action("procuration"), methods=["POST"]),
        Route("/api/procurations", action("procurations"), methods=["POST"]),
        Route("/api/pass", action("pass"), methods=["POST"]),
        Route("/api/impose", action("impose"), methods=["POST"]),
        Route("/api/undo", action("undo"), methods=["POST"]),
        Route("/api/reprendre", resume_writes, methods=["POST"]),
        Route("/api/result.json", result("json")),
        Route("/api/result.xlsx", result("xlsx")),
    ]
    app = Starlette(routes=routes, exception_handlers=error_handlers(),
                    middleware=[Middleware(Guard, hosts=hosts)])
    app.state.day = day
    app.state.broadcast = broadcast
    return app


def _head(day: ChoiceDay) -> dict[str, Any] | None:
    head = day.head
    return None if head is None else head.to_dict()


def _stale(day: ChoiceDay, name: str, body: Mapping[str, Any],
           label: Callable[[str | None], str]) -> str | None:
    """Why the write does not act on what the page showed (French), or ``None``."""
    seq = body.get("seq")
    if name == "undo":
        target = day.undoable
        if target is None or target["seq"] != body["annule"]:
            now = ("rien à annuler" if target is None else
                   f"la dernière entrée en vigueur est la {target['seq']} "
                   f"({label(target.get('interne'))})")
            return (f"l'entrée {body['annule']} n'est plus la dernière en vigueur ({now}) : "
                    "rien n'a été annulé, la page se met à jour")
        return None
    caller = day.current
    called = None if caller is None else "+".join(caller.internes)
    if body["interne"] != called:
        return (f"la page montre {label(body['interne']) or body['interne']} mais "
                f"{label(called) if called else 'personne'} est appelé maintenant : rien "
                "n'a été enregistré, la page se met à jour")
    if seq != day.seq:
        return (f"la page montrait l'état {seq} mais le journal en est à l'entrée {day.seq} "
                "(une autre console ou un double clic) : rien n'a été enregistré, la page se "
                "met à jour")
    return None


def _act(day: ChoiceDay, name: str, body: Mapping[str, Any], operator: str,
         label: Callable[[str | None], str]) -> dict[str, Any]:
    if name == "choose":
        terrain = body["terrain"]
        return day.choose(tuple(terrain) if isinstance(terrain, list) else terrain,
                          operator=operator)
    if name == "procuration":
        return day.by_procuration(operator=operator)
    if name == "procurations":  # the absent with their list standing, one after the other
        if not day.absent_by_list():
            raise ChoiceRefused("not_allowed", f"{label(body['interne'])} n'est pas absent(e) "
                                "avec sa liste : jouez son tour (rien n'a été enregistré)")
        before = day.seq
        try:
            played = day.play_procurations(operator=operator)
        except ChoiceRefused as error:  # the entries before it stand: say how many
            if day.seq > before:
                error.args = (f"{day.seq - before} procuration(s) jouée(s), puis : {error}",)
            raise
        return {**played[-1], "joues": len(played)}
    if name == "pass":
        return day.pass_(operator=operator)
    if name == "impose":
        return day.impose(body.get("terrain"), operator=operator)
    return day.undo(operator=operator)


def _options(day: ChoiceDay) -> dict[str, Any]:
    """The operator's view of the turn: the caller, their options, their wish list."""
    caller = day.current
    undoable = day.undoable
    base = {"seq": day.seq, "journal": _head(day), "indisponible": day.unavailable,
            "annulable": None if undoable is None else {
                "seq": undoable["seq"], "interne": undoable.get("interne"),
                "libelle": _labeller(day)(undoable.get("interne")),
                "terrain": undoable.get("terrain"), "kind": undoable["kind"]}}
    if caller is None:
        return {"done": True, "caller": None, **base}
    members = []
    for interne_id in caller.internes:
        interne = day.instance.interne(interne_id)
        opts = day.options(interne_id)
        said = day.procuration_of(interne_id)
        members.append({
            "procuration": None if said is None or not said.absent else {
                "mode": said.mode, "mandataire": said.mandataire or None,
                "phrase": said.sentence},
            "interne": interne_id, "libelle": interne.libelle, "nom": interne.nom,
            "prenom": interne.prenom, "rang": interne.rang, "semestre": interne.semestre,
            "surnombre": interne.surnombre, "voeux": list(interne.voeux),
            "options": [{
                "terrain": o.terrain, "free": o.free, "reason": o.reason, "rule": o.rule,
                "raison": o.raison,
                "slot": o.slot, "voeu": o.voeu, "taken_by": o.taken_by,
                "nom": day.instance.terrain(o.terrain).nom,
                "ville": day.instance.terrain(o.terrain).ville} for o in opts],
        })
    pairs = [{"rang": r, "terrains": [a, b], "reason": reason}
             for r, a, b, reason in day.pair_options()]
    return {"done": False, "round": caller.round, "position": caller.position,
            "of": len(day.order), "couple": caller.couple, "internes": list(caller.internes),
            "libelle": " + ".join(m["libelle"] for m in members),
            "members": members, "pairs": pairs, "absent_en_liste": day.absent_by_list(),
            "why_not": {m: day.why_not(m) for m in caller.internes}, **base}


def serve(app: Starlette, *, host: str = "127.0.0.1", port: int = 8000,
          sock: Any = None) -> None:
    """Serve ``app`` with uvicorn until interrupted (on ``sock`` when already bound)."""
    import uvicorn

    if sock is None:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
