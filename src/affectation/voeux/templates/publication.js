// The public page of the published simulation: read-only, no token.
"use strict";
// Loaded by the organiser's page too, before its own script: no top-level name of its own but
// dessinerPublication and chargerPublication.

// Shared with the organiser's page: draw a publication document into two lists.
function dessinerPublication(pub, listeInternes, listeTerrains) {
  listeInternes.replaceChildren(); listeTerrains.replaceChildren();
  for (const i of pub.internes) {
    const li = document.createElement("li");
    const issues = i.issues.map((o) => `${o.nom} ${Math.round(o.probabilite * 100)} %`).join(", ");
    li.textContent = `${i.libelle} — ${i.liste_connue ? "liste connue" : "liste devinée"}${issues ? " : " + issues : ""}`;
    listeInternes.append(li);
  }
  for (const t of pub.terrains) {
    const li = document.createElement("li");
    const rl = t.rang_limite_median === null ? "jamais pris dans la simulation" : `rang limite ${t.rang_limite_median} (entre ${t.rang_limite_p05} et ${t.rang_limite_p95})`;
    li.textContent = `${t.nom} — ${t.postes} poste(s) : ${rl}`;
    listeTerrains.append(li);
  }
}

async function chargerPublication() {
  if (!document.body.dataset.publique) return;
  const $ = (id) => document.getElementById(id);
  try {
    const r = await fetch("/api/publication");
    const pub = await r.json().catch(() => ({error: "réponse illisible du serveur"}));
    if (!r.ok) { $("etat").textContent = pub.error || ("erreur " + r.status); return; }
    $("etat").textContent = `Simulation n° ${pub.publication}, publiée le ${pub.publiee_le} (UTC), calculée le ${pub.calcule_le} avec ${pub.listes_connues} listes connues sur ${pub.nombre_internes} (${pub.tirages} tirages).`;
    dessinerPublication(pub, $("internes"), $("terrains"));
  } catch (e) { $("etat").textContent = e.message; }
}
document.addEventListener("DOMContentLoaded", chargerPublication);
