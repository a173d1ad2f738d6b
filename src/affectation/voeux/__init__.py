"""Wishes online (issue 19): internes enter and rank their wishes weeks before the choice.

- :mod:`affectation.voeux.store`: the campaign's SQLite file (WAL, one transaction per save,
  schema versioned, hashed tokens, append-only history, online backups);
- :mod:`affectation.voeux.receipt`: the receipt of a save, chained per interne, and its check;
- :mod:`affectation.voeux.publication`: the anonymised publication of the simulation (named
  only the internes who opted in);
- :mod:`affectation.voeux.app`: the Starlette server (the interne's page, with the couple's
  joint list; the organiser's page; the public page of the published simulation), built on
  :mod:`affectation.web`;
- :mod:`affectation.voeux.cli`: ``affectation voeux ouvrir | liens | serveur | publier |
  exporter | fermer | recu verifier``.

The choice day reads the exported procurations: :mod:`affectation.live.procurations`.
"""

from affectation.voeux.receipt import Receipt, digest, verify
from affectation.voeux.store import Campaign, CampaignError, CoupleList, Procuration, Saved

__all__ = ["Campaign", "CampaignError", "CoupleList", "Procuration", "Receipt", "Saved",
           "digest", "verify"]
