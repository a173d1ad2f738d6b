"""The receipt of a saved wish list: what it holds, how it is computed, how it is checked.

A receipt (``affectation-recu/1``) is the time (UTC), the list and its *empreinte*: the SHA-256
of the canonical JSON of ``[campaign, interne, list, time, previous receipt]`` (:func:`digest`).
Each interne's receipts form a chain: a receipt names the previous one, so a list slipped in
or removed between two receipts the interne holds breaks the chain.

What a receipt proves, checked by :func:`verify` against the campaign's file: that this very
list, at this time, is a row of the append-only history (an altered list, time or chain gives
another empreinte; a receipt computed by hand for a list never saved is absent from the file),
and, with the history, whether a later list replaced it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from affectation.voeux.store import Campaign

__all__ = ["FORMAT", "Receipt", "digest", "verify"]

FORMAT = "affectation-recu/1"


def digest(campaign: str, interne: str, voeux: Sequence[str], time: str, previous: str) -> str:
    """SHA-256 hex of the canonical JSON ``[campaign, interne, [voeux…], time, previous]``."""
    canonical = json.dumps([campaign, interne, list(voeux), time, previous],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@attrs.frozen
class Receipt:
    """A receipt as the interne downloads it."""

    campagne: str
    interne: str
    libelle: str
    """The interne's name beside their id, for the reader; not in the empreinte."""
    voeux: tuple[str, ...] = attrs.field(converter=tuple)
    heure: str
    precedent: str
    empreinte: str

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "campagne": self.campagne, "interne": self.interne,
                "libelle": self.libelle, "voeux": list(self.voeux), "heure": self.heure,
                "precedent": self.precedent, "empreinte": self.empreinte}

    @classmethod
    def from_dict(cls, doc: Any) -> Receipt:
        """A receipt document; ``ValueError`` (French) when its shape is wrong."""
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            raise ValueError(f"ce n'est pas un reçu ({FORMAT} attendu)")
        keys = ("campagne", "interne", "heure", "precedent", "empreinte")
        for key in keys:
            if not isinstance(doc.get(key), str):
                raise ValueError(f"reçu : champ {key!r} manquant ou pas une chaîne")
        voeux = doc.get("voeux")
        if not isinstance(voeux, list) or not all(isinstance(v, str) for v in voeux):
            raise ValueError("reçu : champ 'voeux' : attendu une liste d'identifiants")
        libelle = doc.get("libelle", "")
        return cls(campagne=doc["campagne"], interne=doc["interne"],
                   libelle=libelle if isinstance(libelle, str) else "", voeux=voeux,
                   heure=doc["heure"], precedent=doc["precedent"], empreinte=doc["empreinte"])


def verify(campaign: Campaign, receipt: Receipt) -> tuple[bool, str]:
    """Whether ``receipt`` is one the campaign issued, and a French sentence that says so or
    says what is wrong."""
    if receipt.campagne != campaign.campaign_id:
        return False, (f"reçu refusé : il est d'une autre campagne ({receipt.campagne[:40]}, "
                       f"celle-ci est {campaign.campaign_id})")
    computed = digest(receipt.campagne, receipt.interne, receipt.voeux, receipt.heure,
                      receipt.precedent)
    if computed != receipt.empreinte:
        return False, ("reçu refusé : l'empreinte ne correspond pas au contenu (la liste, "
                       "l'heure ou le reçu précédent ont été modifiés)")
    saved = campaign.find_receipt(receipt.empreinte)
    if saved is None or (saved.interne, saved.voeux, saved.time, saved.previous) != (
            receipt.interne, receipt.voeux, receipt.heure, receipt.precedent):
        return False, ("reçu refusé : aucune liste enregistrée ne porte cette empreinte "
                       "(reçu fabriqué, ou base qui n'est pas celle de la campagne)")
    name = campaign.instance.interne(saved.interne).libelle
    latest = campaign.latest_of(saved.interne)
    later = ("c'est sa dernière liste enregistrée" if latest is not None
             and latest.receipt == saved.receipt
             else f"une liste plus récente l'a remplacée le {latest.time if latest else '?'}")
    return True, (f"reçu valide : liste de {len(saved.voeux)} vœux de {name} enregistrée le "
                  f"{saved.time} (UTC), entrée {saved.seq} de l'historique ; {later}")
