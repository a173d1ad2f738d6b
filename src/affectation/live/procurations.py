"""The procurations the choice day reads: who will be absent, and who chooses for them.

The wishes campaign exports them beside the instance (``affectation voeux exporter --out
choix.json`` writes ``choix.procurations.json``, format ``affectation-procurations/1``): per
interne ``present``, ``liste`` (absent, their saved list is played, R-VOE-1) or ``mandataire``
(absent, a named person announces in their place). :func:`load_procurations` reads and checks
the file against the instance; the choice day (:meth:`ChoiceDay.set_procurations`) shows them
to the operator and plays the lists (:meth:`ChoiceDay.play_procurations`). They are an input
of the day like the instance, not entries of its journal: what the day did with them is (a
``procuration`` entry, or the mandataire's ``choice``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from affectation.errors import AffectationError
from affectation.model import Instance

__all__ = ["FORMAT", "MODES", "Procuration", "ProcurationsError", "load_procurations",
           "sibling"]

FORMAT = "affectation-procurations/1"
MODES = ("present", "liste", "mandataire")


class ProcurationsError(AffectationError, ValueError):
    """A procurations file that cannot be read: a French sentence naming the file."""

    code = "E-PROCURATIONS"


@attrs.frozen
class Procuration:
    """What an interne said of the choice day."""

    interne: str
    mode: str
    """``present``, ``liste`` (their list is played) or ``mandataire``."""
    mandataire: str = ""
    heure: str = ""

    @property
    def absent(self) -> bool:
        return self.mode != "present"

    @property
    def sentence(self) -> str:
        """What the operator's console shows (French)."""
        if self.mode == "liste":
            return "absent(e) : sa liste est jouée par procuration"
        if self.mode == "mandataire":
            return f"absent(e) : son/sa mandataire {self.mandataire} choisit pour lui/elle"
        return "présent(e)"


def sibling(instance_path: str | os.PathLike[str]) -> Path:
    """Where ``voeux exporter`` puts the procurations of the instance it wrote."""
    return Path(instance_path).with_suffix(".procurations.json")


def load_procurations(path: str | os.PathLike[str], instance: Instance
                      ) -> dict[str, Procuration]:
    """``{interne id: Procuration}`` of the file; every interne must be the instance's."""
    where = Path(path)
    try:
        doc: Any = json.loads(where.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ProcurationsError(f"{where} : fichier de procurations illisible ({error})"
                                ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProcurationsError(f"{where} : attendu un fichier {FORMAT} (écrit par "
                                "affectation voeux exporter)")
    rows = doc.get("procurations")
    if not isinstance(rows, list):
        raise ProcurationsError(f"{where} : la clé « procurations » doit être une liste")
    out: dict[str, Procuration] = {}
    for k, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ProcurationsError(f"{where} : procuration {k} : attendu un objet")
        interne, mode = row.get("interne"), row.get("mode")
        mandataire = row.get("mandataire") or ""
        if not isinstance(interne, str) or interne not in instance.interne_by_id:
            raise ProcurationsError(f"{where} : procuration {k} : interne inconnu de "
                                    f"l'instance {str(interne)[:60]!r}")
        if mode not in MODES:
            raise ProcurationsError(f"{where} : procuration {k} ({interne}) : mode "
                                    f"{str(mode)[:30]!r} inconnu (attendus : "
                                    f"{', '.join(MODES)})")
        if not isinstance(mandataire, str) or (mode == "mandataire" and not mandataire.strip()):
            raise ProcurationsError(f"{where} : procuration {k} ({interne}) : mandataire "
                                    "manquant")
        if interne in out:
            raise ProcurationsError(f"{where} : l'interne {interne} a deux procurations")
        out[interne] = Procuration(interne, mode, mandataire.strip(),
                                   str(row.get("heure") or ""))
    return out
