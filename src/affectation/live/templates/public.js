"use strict";
const LABELS = {urgences: "Urgences", praticien_n1: "Praticien niveau 1",
  medecine_adulte: "Médecine adulte", pediatrie: "Pédiatrie", gynecologie: "Gynécologie",
  ped_gyn: "Pédiatrie-gynécologie", saspas: "SASPAS", niveau_3: "Niveau 3", libre: "Libre"};
const KINDS = {choice: "choix", procuration: "procuration", imposition: "imposition",
  pass: "sans poste"};
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function render(state) {
  document.getElementById("titre").textContent =
    "État des postes" + (state.instance ? " — " + state.instance : "");
  const appel = document.getElementById("appel");
  if (state.done) appel.textContent = "Le choix est terminé.";
  else appel.textContent = "Appelé" + (state.current.internes.length > 1 ? "s" : "") + " : " +
    state.current.libelles.join(" + ") + " (" + state.current.position + "/" +
    state.current.of + ", tour « " + state.current.round + " »)";
  appel.dataset.seq = state.seq;
  document.getElementById("tete").textContent = state.journal ?
    "Journal : entrée " + state.journal.seq + " — tête " + state.journal.tete : "";
  document.getElementById("etat").textContent =
    state.placed + " interne(s) placé(s) sur " + state.internes + " — entrée " + state.seq +
    (state.indisponible ? " — saisie suspendue : journal indisponible" : "");
  const groups = new Map();
  for (const t of state.terrains) {
    const key = t.categories[0];
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(t);
  }
  const root = document.getElementById("categories");
  root.replaceChildren();
  for (const [cat, terrains] of groups) {
    const free = terrains.reduce((s, t) => s + t.libres, 0);
    const sec = el("section", {class: "categorie", "data-categorie": cat});
    sec.append(el("h2", {}, (LABELS[cat] || cat) + " — " + free + " poste(s) libre(s)"));
    const table = el("table");
    terrains.sort((a, b) => (a.ville || "").localeCompare(b.ville || "") ||
                            a.nom.localeCompare(b.nom));
    for (const t of terrains) {
      const tr = el("tr", {"data-terrain": t.id, "data-libres": t.libres,
                           class: t.libres > 0 ? "" : "complet"});
      tr.append(el("td", {class: "ville"}, t.ville || ""), el("td", {}, t.nom),
                el("td", {class: "n libres"}, t.libres + " / " + t.postes));
      table.append(tr);
    }
    sec.append(table);
    root.append(sec);
  }
  const list = document.getElementById("derniers");
  list.replaceChildren();
  for (const c of state.choices) {
    const where = Array.isArray(c.terrain) ? c.terrain.join(" + ") : (c.terrain || "—");
    list.append(el("li", {"data-seq": c.seq, "data-interne": c.interne},
      c.libelle + " → " + where + " (" +
      (KINDS[c.kind] || c.kind) + (c.impose ? ", imposé" : "") + ")"));
  }
}
let source;
function connect() {
  source = new EventSource("/events");
  source.addEventListener("state", (e) => render(JSON.parse(e.data)));
  source.onerror = () => { document.getElementById("etat").textContent = "Reconnexion…"; };
}
connect();
