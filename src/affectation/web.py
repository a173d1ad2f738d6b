"""What every HTTP server of affectation shares: the token, the request body, the headers.

Used by the choice day's pages (``affectation.live.app``) and meant for any later server (the
wishes online): one place for

- the **token** (:func:`load_token`): from the environment (``AFFECTATION_JETON``) or a file
  (mode 600, created at first start with a random token and reused at restart, so an open page
  keeps working), never from the command line (visible in ``ps``), at least 16 characters;
- the **bearer check** (:func:`bearer`): ``Authorization: Bearer TOKEN`` only, the scheme in
  any case, compared in constant time; never the query string;
- the **body** (:func:`read_json_object`): ``Content-Type: application/json``, at most 64 KiB
  (413 above), strict UTF-8, a JSON object whose fields are the ones expected, each a short
  string, a pair of strings or a small integer; anything else a 400 with a French message;
- the **headers and the Host** (:class:`Guard`): ``Content-Security-Policy``,
  ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``,
  ``X-Content-Type-Options: nosniff`` on every answer; a request whose ``Host`` is not one of
  the names the server is bound to is refused (DNS rebinding);
- **errors as JSON in French** (:func:`json_error`, :func:`error_handlers`): a 4xx for a bad
  request, a 500 never with a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from affectation.errors import AffectationError

__all__ = [
    "MAX_BODY",
    "SECURITY_HEADERS",
    "TOKEN_ENV",
    "TOKEN_MIN",
    "BadRequest",
    "Guard",
    "TokenError",
    "allowed_hosts",
    "bearer",
    "error_handlers",
    "json_error",
    "load_operator_tokens",
    "load_token",
    "read_json_object",
]

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
"""Largest request body accepted (bytes); 413 above."""
MAX_STRING = 200
"""Longest string field accepted (characters)."""
MAX_INT = 2**31 - 1
MAX_LIST = 500
"""Most strings in a ``"list"`` field."""
TOKEN_MIN = 16
TOKEN_ENV = "AFFECTATION_JETON"

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
)


class TokenError(AffectationError, ValueError):
    """A token that cannot be used (too short, unreadable file, file readable by others)."""

    code = "E-JETON"


class BadRequest(Exception):
    """A request refused before anything is done: an HTTP status and a French sentence."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


# --- the token ----------------------------------------------------------------------------------


def load_token(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
               ) -> tuple[str, str]:
    """The operator's token and where it came from (a French phrase for the start-up lines).

    ``AFFECTATION_JETON`` in the environment wins; else the file at ``path`` is read (it must
    not be readable by group or others), or created with mode 600 and a random token."""
    env = os.environ if environ is None else environ
    given = env.get(TOKEN_ENV)
    if given is not None:
        token = given.strip()
        _check_token(token, f"la variable {TOKEN_ENV}")
        return token, f"variable d'environnement {TOKEN_ENV}"
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return _read_token_file(target), f"fichier {target} (réutilisé)"
    except OSError as error:
        raise TokenError(f"{target}: impossible de créer le fichier du jeton "
                         f"({error.strerror})") from None
    token = secrets.token_urlsafe(24)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    except OSError as error:
        os.close(fd)
        target.unlink(missing_ok=True)
        raise TokenError(f"{target}: impossible d'écrire le jeton ({error.strerror})") from None
    os.close(fd)
    return token, f"fichier {target} (créé, mode 600)"


def _read_token_file(target: Path) -> str:
    try:
        mode = target.stat().st_mode
        token = target.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise TokenError(f"{target}: fichier du jeton illisible "
                         f"({getattr(error, 'strerror', None) or error})") from None
    if mode & 0o077:
        raise TokenError(f"{target}: le fichier du jeton est lisible par d'autres "
                         f"(mode {mode & 0o777:o}) : chmod 600 {target}")
    _check_token(token, str(target))
    return token


def load_operator_tokens(path: str | os.PathLike[str]) -> dict[str, str]:
    """One token per operator: a file (mode 600) of lines ``NAME:TOKEN`` (``#`` comments),
    as ``{token: name}``; the name is what the journal records for that token's writes."""
    target = Path(path)
    try:
        mode = target.stat().st_mode
        text = target.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TokenError(f"{target}: fichier des jetons illisible "
                         f"({getattr(error, 'strerror', None) or error})") from None
    if mode & 0o077:
        raise TokenError(f"{target}: le fichier des jetons est lisible par d'autres "
                         f"(mode {mode & 0o777:o}) : chmod 600 {target}")
    tokens: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, token = line.rpartition(":")
        name, token = name.strip(), token.strip()
        if not sep or not name:
            raise TokenError(f"{target}: ligne {number} : attendu NOM:JETON")
        _check_token(token, f"{target}: ligne {number}")
        if token in tokens:
            raise TokenError(f"{target}: ligne {number} : jeton déjà donné à {tokens[token]!r}")
        tokens[token] = name
    if not tokens:
        raise TokenError(f"{target}: aucun jeton (lignes NOM:JETON)")
    return tokens


def _check_token(token: str, where: str) -> None:
    if len(token) < TOKEN_MIN:
        raise TokenError(f"{where}: jeton trop court ({len(token)} caractères, au moins "
                         f"{TOKEN_MIN})")
    if not token.isascii() or not token.isprintable() or " " in token:
        raise TokenError(f"{where}: le jeton doit être fait de caractères ASCII visibles")


def bearer(headers: Mapping[str, str], tokens: Mapping[str, str]) -> str | None:
    """The name attached to the token of ``Authorization: Bearer TOKEN`` (scheme in any case),
    or ``None``. ``tokens`` maps each accepted token to its operator's name."""
    scheme, _, given = headers.get("authorization", "").strip().partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        return None
    found = None
    for token, name in tokens.items():  # every token compared, in constant time each
        if secrets.compare_digest(given.encode("utf-8", "replace"), token.encode()):
            found = name
    return found


# --- the body -----------------------------------------------------------------------------------

FieldKind = str
"""``"str"``, ``"pair"`` (two strings), ``"str|pair"``, ``"int"``, ``"bool"``, ``"list"`` (at
most :data:`MAX_LIST` strings) or ``"pairs"`` (at most :data:`MAX_LIST` pairs of strings)."""


async def read_json_object(request: Any, fields: Mapping[str, FieldKind], *,
                           required: Iterable[str] = ()) -> dict[str, Any]:
    """The request's JSON object, every field checked; :class:`BadRequest` otherwise."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise BadRequest(415, "le corps de la requête doit être du JSON (Content-Type: "
                              "application/json)")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise BadRequest(413, f"corps de requête trop grand (au plus {MAX_BODY // 1024} Kio)")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadRequest(413, f"corps de requête trop grand (au plus {MAX_BODY // 1024} Kio)")
        chunks.append(chunk)
    raw = b"".join(chunks)
    return parse_json_object(raw, fields, required=required)


def parse_json_object(raw: bytes, fields: Mapping[str, FieldKind], *,
                      required: Iterable[str] = ()) -> dict[str, Any]:
    """:func:`read_json_object` on bytes already read."""
    if len(raw) > MAX_BODY:
        raise BadRequest(413, f"corps de requête trop grand (au plus {MAX_BODY // 1024} Kio)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "le corps de la requête n'est pas de l'UTF-8 valide") from None
    try:
        body = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except BadRequest:
        raise
    except RecursionError:
        raise BadRequest(400, "JSON trop imbriqué") from None
    except ValueError as error:  # JSONDecodeError, and int() past its digit limit
        raise BadRequest(400, f"JSON invalide ({_short(error)})") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "le corps doit être un objet JSON ({…})")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        hint = (" : le nom de l'opérateur est fixé par le serveur (--operateur)"
                if "operator" in unknown or "operateur" in unknown else "")
        raise BadRequest(400, f"champ inconnu {_quote(unknown[0])} (attendus : "
                              f"{', '.join(fields)}){hint}")
    for name in required:
        if name not in body or body[name] is None:
            raise BadRequest(400, f"champ {name!r} manquant")
    for name, value in body.items():
        if value is not None:
            _check_field(name, value, fields[name])
    return body


def _no_constant(name: str) -> Any:
    raise BadRequest(400, f"JSON invalide ({name} n'est pas un nombre JSON)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadRequest(400, f"champ {_quote(key)} répété")
        out[key] = value
    return out


def _check_field(name: str, value: Any, kind: FieldKind) -> None:
    kinds = kind.split("|")
    if "str" in kinds and isinstance(value, str):
        _check_string(name, value)
        return
    if ("pair" in kinds and isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) for v in value)):
        for v in value:
            _check_string(name, v)
        return
    if "pairs" in kinds and isinstance(value, list):
        if len(value) > MAX_LIST:
            raise BadRequest(400, f"champ {name!r} : liste trop longue (au plus {MAX_LIST})")
        for item in value:
            if not (isinstance(item, list) and len(item) == 2
                    and all(isinstance(v, str) for v in item)):
                raise BadRequest(400, f"champ {name!r} : attendu une liste de paires de "
                                      "chaînes [[\"A\", \"B\"], …]")
            for v in item:
                _check_string(name, v)
        return
    if "list" in kinds and isinstance(value, list):
        if len(value) > MAX_LIST:
            raise BadRequest(400, f"champ {name!r} : liste trop longue (au plus {MAX_LIST})")
        for item in value:
            if not isinstance(item, str):
                raise BadRequest(400, f"champ {name!r} : attendu une liste de chaînes")
            _check_string(name, item)
        return
    if ("int" in kinds and isinstance(value, int) and not isinstance(value, bool)
            and 0 <= value <= MAX_INT):
        return
    if "bool" in kinds and isinstance(value, bool):
        return
    expected = {"str": "une chaîne", "pair": "une paire de chaînes [\"A\", \"B\"]",
                "int": "un entier positif", "list": "une liste de chaînes",
                "bool": "true ou false", "pairs": "une liste de paires de chaînes"}
    raise BadRequest(400, f"champ {name!r} : attendu {' ou '.join(expected[k] for k in kinds)}")


def _check_string(name: str, value: str) -> None:
    if len(value) > MAX_STRING:
        raise BadRequest(400, f"champ {name!r} trop long (au plus {MAX_STRING} caractères)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(400, f"champ {name!r} : caractère invalide (substitut isolé)") from None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(400, f"champ {name!r} : caractère de contrôle")


def _quote(text: str) -> str:
    safe = text.encode("utf-8", "replace").decode("utf-8")[:40]
    return repr(safe)


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 80 else text[:77] + "…"


# --- the answers ----------------------------------------------------------------------------------


def json_error(status: int, message: str, **extra: Any) -> Any:
    """A JSON error answer: ``{"error": message, ...}``."""
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message, **extra}, status_code=status)


SERVER_ERROR = ("erreur interne du serveur : rechargez la page pour voir ce qui a été "
                "enregistré ; le détail est dans le terminal du serveur")

HTTP_FR = {400: "requête invalide", 401: "jeton manquant ou faux", 404: "page introuvable",
           405: "méthode non permise sur cette adresse", 413: "corps de requête trop grand",
           415: "type de contenu non accepté"}


def error_handlers() -> dict[Any, Callable[..., Awaitable[Any]]]:
    """Starlette ``exception_handlers``: HTTP errors and any unexpected error as French JSON
    (never a traceback)."""
    from starlette.exceptions import HTTPException

    async def http_error(request: Any, exc: Any) -> Any:
        return json_error(exc.status_code, HTTP_FR.get(exc.status_code, "erreur"))

    async def bad_request(request: Any, exc: Any) -> Any:
        return json_error(exc.status, exc.message)

    async def server_error(request: Any, exc: Any) -> Any:
        return json_error(500, SERVER_ERROR)

    return {HTTPException: http_error, BadRequest: bad_request, Exception: server_error}


# --- the Host and the headers ---------------------------------------------------------------------


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` values a server bound to ``host:port`` answers: the bound name, the
    loopback names for a loopback, the machine's names and addresses for a wildcard, with and
    without the port."""
    names = {host.lower(), *(e.lower() for e in extra)}
    if host in ("127.0.0.1", "localhost", "::1"):
        names |= {"127.0.0.1", "localhost", "::1"}
    if host in ("0.0.0.0", "::", ""):
        names |= {"127.0.0.1", "localhost", "::1", socket.gethostname().lower(),
                  socket.getfqdn().lower()}
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None):
                names.add(str(info[4][0]).lower())
        except OSError:
            pass
    out = set()
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        out |= {shown, f"{shown}:{port}"}
    return frozenset(out)


class Guard:
    """ASGI middleware: refuses a request whose ``Host`` is not allowed (400), and adds
    :data:`SECURITY_HEADERS` to every answer."""

    def __init__(self, app: Any, hosts: Iterable[str] | None = None) -> None:
        self.app = app
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in SECURITY_HEADERS]
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message)
                message["headers"] = [*message.get("headers", []),
                                      *((k.encode(), v.encode()) for k, v in headers
                                        if k.encode() not in present)]
            await send(message)

        if self.hosts is not None:
            host = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                         if k == b"host"), "").lower()
            if host not in self.hosts:
                response = json_error(400, f"nom d'hôte non accepté ({host[:60]!r}) : ouvrez "
                                           "l'adresse affichée au démarrage du serveur")
                await response(scope, receive, send_with_headers)
                return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise
            logger.exception("unexpected error on %s %s", scope.get("method"),
                             scope.get("path"))
            response = json_error(500, SERVER_ERROR)
            await response(scope, receive, send_with_headers)
