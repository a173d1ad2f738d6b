"""The room's screens: a Starlette app served by uvicorn (issue 9, item 4).

``/`` is the public page (the état des postes, read-only, updated by server-sent events from
``/events``); ``/operateur`` the operator page. Every write is a ``POST /api/...`` that needs
the token (``Authorization: Bearer TOKEN``); the public routes have no write action. A write
may name the ``interne`` the page showed as called: if someone else is called by then (a double
click, a second operator), nothing is recorded and the answer is 409. Each write
is journalled and fsynced by :class:`~affectation.live.day.ChoiceDay` before the answer is sent
and before the update is pushed to the screens.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from importlib import resources
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from affectation.live.day import ChoiceDay, ChoiceRefused

__all__ = ["Broadcast", "create_app", "public_state", "serve"]

LAST_CHOICES = 15
"""How many of the last entries the public page shows."""


def public_state(day: ChoiceDay) -> dict[str, Any]:
    """What the screens show: the état des postes, who is called, the last choices."""
    state = day.state()
    choices = [c for c in state["choices"] if not c["undone"]]
    state["choices"] = choices[-LAST_CHOICES:][::-1]
    return state


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


def create_app(day: ChoiceDay, *, token: str, operator: str = "") -> Starlette:
    """The ASGI app of one day; ``token`` guards every write and the operator page."""
    broadcast = Broadcast(day)
    lock = asyncio.Lock()
    pages = {name: _page(name) for name in ("public.html", "operator.html")}

    def authorised(request: Request) -> bool:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        given = given or request.query_params.get("token", "")
        return bool(given) and secrets.compare_digest(given.encode(), token.encode())

    def refuse() -> JSONResponse:
        return JSONResponse({"error": "token missing or wrong: the operator's token is "
                                      "printed by 'affectation live' at start-up"},
                            status_code=401)

    async def public(request: Request) -> Response:
        return HTMLResponse(pages["public.html"])

    async def operator_page(request: Request) -> Response:
        if not authorised(request):
            return HTMLResponse("<h1>Accès réservé</h1><p>Ouvrez le lien de la console avec "
                                "le jeton affiché au démarrage (<code>?token=…</code>).</p>",
                                status_code=401)
        return HTMLResponse(pages["operator.html"])

    async def state(request: Request) -> Response:
        return Response(broadcast.payload, media_type="application/json")

    async def events(request: Request) -> Response:
        async def stream():
            seen = -1
            while True:
                seen = await broadcast.next_after(seen)
                seq, payload = broadcast.payloads[seen]
                yield {"event": "state", "id": str(seq), "data": payload}

        return EventSourceResponse(stream(), ping=15)

    async def options(request: Request) -> Response:
        if not authorised(request):
            return refuse()
        return JSONResponse(_options(day))

    def action(name: str):
        async def handler(request: Request) -> Response:
            if not authorised(request):
                return refuse()
            try:
                body = await request.json() if await request.body() else {}
            except json.JSONDecodeError:
                return JSONResponse({"error": "the body must be JSON"}, status_code=400)
            who = str(body.get("operator") or operator)
            async with lock:
                expected = body.get("interne")
                caller = day.current
                called = None if caller is None else "+".join(caller.internes)
                if expected is not None and name != "undo" and expected != called:
                    # a double click, or a second operator: the page showed someone else
                    return JSONResponse({
                        "error": f"the page shows {expected} but {called or 'nobody'} is "
                                 "called now: nothing recorded, reload the page",
                        "reason": "not_current", "rule": "R-ORD", "taken_by": None},
                        status_code=409)
                try:
                    if name == "choose":
                        terrain = body.get("terrain")
                        if isinstance(terrain, list):
                            terrain = tuple(terrain)
                        record = day.choose(terrain, operator=who)
                    elif name == "procuration":
                        record = day.by_procuration(operator=who)
                    elif name == "pass":
                        record = day.pass_(operator=who)
                    elif name == "impose":
                        record = day.impose(body.get("terrain"), operator=who)
                    else:
                        record = day.undo(operator=who)
                except ChoiceRefused as error:
                    if error.record is not None:  # a refused announcement, journalled
                        await broadcast.publish()
                    return JSONResponse({"error": str(error), "reason": error.reason,
                                         "rule": error.rule, "taken_by": error.taken_by,
                                         "entry": error.record},
                                        status_code=409)
                await broadcast.publish()
            why = {m: day.why_not(m) for m in str(record.get("interne") or "").split("+") if m}
            return JSONResponse({"entry": record, "options": _options(day), "why_not": why})
        return handler

    async def result(request: Request) -> Response:
        if not authorised(request):
            return refuse()
        from affectation.io import result_to_dict

        fmt = request.path_params["fmt"]
        res = day.result()
        if fmt == "json":
            return JSONResponse(result_to_dict(res))
        data = _result_workbook(res, day.instance)
        return Response(data, media_type="application/vnd.openxmlformats-"
                        "officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": "attachment; filename=resultat.xlsx"})

    routes = [
        Route("/", public),
        Route("/api/state", state),
        Route("/events", events),
        Route("/operateur", operator_page),
        Route("/api/options", options),
        Route("/api/choose", action("choose"), methods=["POST"]),
        Route("/api/procuration", action("procuration"), methods=["POST"]),
        Route("/api/pass", action("pass"), methods=["POST"]),
        Route("/api/impose", action("impose"), methods=["POST"]),
        Route("/api/undo", action("undo"), methods=["POST"]),
        Route("/api/result.{fmt:str}", result),
    ]
    app = Starlette(routes=routes)
    app.state.day = day
    app.state.broadcast = broadcast
    return app


def _options(day: ChoiceDay) -> dict[str, Any]:
    """The operator's view of the turn: the caller, their options, their wish list."""
    caller = day.current
    if caller is None:
        return {"done": True, "seq": day.seq, "caller": None}
    members = []
    for interne_id in caller.internes:
        interne = day.instance.interne(interne_id)
        opts = day.options(interne_id)
        members.append({
            "interne": interne_id, "rang": interne.rang, "semestre": interne.semestre,
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
    return {"done": False, "seq": day.seq, "round": caller.round, "position": caller.position,
            "of": len(day.order), "couple": caller.couple, "internes": list(caller.internes),
            "members": members, "pairs": pairs,
            "why_not": {m: day.why_not(m) for m in caller.internes}}


def serve(app: Starlette, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")


def _result_workbook(result: Any, instance: Any) -> bytes:
    """The result spreadsheet of ``affectation solve --out x.xlsx`` (sheets affectations,
    postes, impositions; texts never formulas: io/_cells.py), as bytes."""
    import tempfile
    from pathlib import Path

    from affectation.io import write_result

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "resultat.xlsx"
        write_result(result, target, "xlsx", instance=instance)
        return target.read_bytes()
