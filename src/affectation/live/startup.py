"""Starting ``affectation live`` cleanly: everything checked before anything is created.

The order of :func:`affectation.cli.live_command`: the instance is read; the journal's folder,
the port and the key are checked; the token is read (environment, or its file when it exists);
the socket is bound (a busy port is refused here); only then is the journal created or resumed
(its lock taken), and the token file created if it was missing. A failure at any step is a
French sentence and exit status 2, and leaves nothing behind.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from affectation.errors import AffectationError

__all__ = ["StartupError", "bind", "check_journal_path", "parse_port"]


class StartupError(AffectationError, ValueError):
    """The server cannot start: a French sentence naming what to fix."""

    code = "E-DEMARRAGE"


def parse_port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text.strip())
    except ValueError:
        raise StartupError(f"--port {text!r} : attendu un numéro de port (0 à 65535)") from None
    if not 0 <= port <= 65535:
        raise StartupError(f"--port {port} : un port va de 0 à 65535")
    return port


def check_journal_path(journal: str) -> Path:
    """The journal's path, its folder existing and writable (a new journal) or the file
    readable and writable (a journal resumed)."""
    path = Path(journal)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise StartupError(f"--journal {journal} : c'est un dossier, pas un fichier")
    if not folder.is_dir():
        raise StartupError(f"--journal {journal} : le dossier {folder} n'existe pas "
                           "(créez-le d'abord)")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StartupError(f"--journal {journal} : fichier non lisible ou non modifiable")
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise StartupError(f"--journal {journal} : impossible d'écrire dans le dossier "
                           f"{folder}")
    return path


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket bound to ``host:port`` (refused: a French sentence)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise StartupError(f"--host {host} : adresse inconnue ({error.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.set_inheritable(True)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(f"le port {port} est déjà utilisé sur {host} (un autre serveur "
                               "tourne-t-il ?) : arrêtez-le ou choisissez --port") from None
        if error.errno == errno.EACCES:
            raise StartupError(f"le port {port} est réservé (droits insuffisants) : "
                               "choisissez un port au-dessus de 1023") from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise StartupError(f"--host {host} : cette adresse n'est pas celle de cette "
                               "machine") from None
        raise StartupError(f"impossible d'écouter sur {host}:{port} "
                           f"({error.strerror})") from None
    return sock
