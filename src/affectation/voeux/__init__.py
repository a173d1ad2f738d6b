"""Wishes online (issue 19): internes enter and rank their wishes weeks before the choice.

- :mod:`affectation.voeux.store`: the campaign's SQLite file (WAL, one transaction per save,
  schema versioned, hashed tokens, append-only history, online backups);
- :mod:`affectation.voeux.receipt`: the receipt of a save, chained per interne, and its check;
- :mod:`affectation.voeux.app`: the Starlette server (the interne's page, the organiser's
  page), built on :mod:`affectation.web`;
- :mod:`affectation.voeux.cli`: ``affectation voeux ouvrir | liens | serveur | exporter |
  fermer | recu verifier``.
"""

from affectation.voeux.receipt import Receipt, digest, verify
from affectation.voeux.store import Campaign, CampaignError, Procuration, Saved

__all__ = ["Campaign", "CampaignError", "Procuration", "Receipt", "Saved", "digest", "verify"]
