"use strict";
// The room's screen: who is called and who is next, the last choice highlighted, the postes
// left by category and town (one category page at a time, turned automatically), the journal
// head in a corner. Reads the public event stream only.
const LABELS = {urgences: "Urgences", praticien_n1: "Praticien niveau 1",
  medecine_adulte: "Médecine adulte", pediatrie: "Pédiatrie", gynecologie: "Gynécologie",
  ped_gyn: "Pédiatrie-gynécologie", saspas: "SASPAS", niveau_3: "Niveau 3", libre: "Libre"};
const PAGE_SECONDS = 8;
const $ = (id) => document.getElementById(id);
let state = null;
let pages = [];
let pageIndex = 0;
let lastSeq = null;
let timer = null;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function where(terrain) {
  return Array.isArray(terrain) ? terrain.join(" + ") : (terrain || "aucun poste");
}
function terrainName(id) {
  const t = state && state.terrains.find((x) => x.id === id);
  return t ? t.nom + (t.ville ? " (" + t.ville + ")" : "") : id;
}
function rowsPerColumn() {
  // how many rows fit in the page's height: one row is measured as drawn (type size, padding,
  // border) and the grid's row gap counted, so that the last row never runs under the footer
  const lines = $("page-lignes");
  const box = lines.getBoundingClientRect();
  const probe = el("div", {class: "ligne"});
  probe.append(el("span", {class: "ville"}, "Mg"), el("span", {class: "code"}, "Mg"),
               el("span", {class: "nom"}, "Mg"), el("span", {class: "n"}, "0/0"));
  lines.append(probe);
  const row = probe.getBoundingClientRect().height;
  probe.remove();
  const gap = parseFloat(getComputedStyle(lines).rowGap) || 0;
  return Math.max(3, Math.floor((box.height + gap) / (row + gap)));
}
function buildPages() {
  const round = state.round;
  const groups = new Map();
  for (const t of state.terrains) {
    if (round && t.round !== round) continue;
    const key = t.categories[0];
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(t);
  }
  const perPage = rowsPerColumn();
  const out = [];
  for (const [cat, terrains] of groups) {
    terrains.sort((a, b) => (a.ville || "").localeCompare(b.ville || "") ||
                            a.nom.localeCompare(b.nom));
    const count = Math.max(1, Math.ceil(terrains.length / perPage));
    for (let k = 0; k < count; k++)
      out.push({cat: cat, part: k + 1, of: count,
                terrains: terrains.slice(k * perPage, (k + 1) * perPage)});
  }
  return out;
}
function showPage() {
  if (!pages.length) return;
  pageIndex = pageIndex % pages.length;
  const p = pages[pageIndex];
  const free = state.terrains.filter((t) => t.categories[0] === p.cat &&
    (!state.round || t.round === state.round)).reduce((s, t) => s + t.libres, 0);
  const title = $("page-titre");
  title.replaceChildren(el("span", {}, (LABELS[p.cat] || p.cat) +
    (p.of > 1 ? " (" + p.part + "/" + p.of + ")" : "") + " — " + free + " libre" +
    (free > 1 ? "s" : "")), el("small", {}, "page " + (pageIndex + 1) + "/" + pages.length));
  $("page").dataset.categorie = p.cat;
  const lines = $("page-lignes");
  lines.replaceChildren();
  const lastTerrains = new Set([].concat(state.choices.length ? state.choices[0].terrain : []));
  for (const t of p.terrains) {
    const line = el("div", {class: "ligne" + (t.libres > 0 ? "" : " complet") +
      (lastTerrains.has(t.id) ? " pris" : ""), "data-terrain": t.id, "data-libres": t.libres});
    // the code beside the name: names of one kind often share their first words
    line.append(el("span", {class: "ville"}, t.ville || ""), el("span", {class: "code"}, t.id),
                el("span", {class: "nom"}, t.nom),
                el("span", {class: "n"}, t.libres + "/" + t.postes));
    lines.append(line);
  }
  for (const tr of $("resume").querySelectorAll("tr[data-categorie]"))
    tr.classList.toggle("actif", tr.dataset.categorie === p.cat);
}
function turnPage() {
  pageIndex += 1;
  showPage();
}
function render(s) {
  const previous = state;
  state = s;
  const appel = $("appel");
  appel.dataset.seq = s.seq;
  if (s.done) {
    appel.textContent = "Le choix est terminé";
    $("accord").textContent = "";
    $("position").textContent = s.placed + " internes placés sur " + s.internes;
    $("suivants").textContent = "";
  } else {
    appel.textContent = s.current.libelles.join(" + ");
    appel.dataset.internes = s.current.internes.join("+");
    $("accord").textContent = s.current.internes.length > 1 ? "s (couple)" : "";
    $("position").textContent = "Position " + s.current.position + " sur " + s.current.of +
      " — tour « " + s.current.round + " »";
    const next = $("suivants");
    next.replaceChildren(el("span", {}, "Ensuite : "));
    s.suivants.forEach((n, k) => {
      if (k) next.append(el("span", {}, " · "));
      next.append(el(k === 0 ? "b" : "span", {}, n.libelle));
    });
  }
  const last = s.choices[0];
  const box = $("dernier-bloc");
  $("dernier").textContent = last ? last.libelle : "—";
  $("dernier-terrain").textContent = last ? "→ " + (Array.isArray(last.terrain) ?
    last.terrain.map(terrainName).join(" + ") : (last.terrain ? terrainName(last.terrain) :
    "aucun poste")) + (last.impose ? " (imposé)" : "") : "";
  $("dernier").dataset.seq = last ? last.seq : "";
  if (lastSeq !== null && s.seq !== lastSeq) {
    box.classList.remove("neuf");
    void box.offsetWidth;  // restart the animation
    box.classList.add("neuf");
  }
  lastSeq = s.seq;
  // the summary: free postes per category, and those open to the called interne
  const table = $("resume");
  table.replaceChildren();
  const called = s.current ? s.current.libelles[0] : "";
  $("resume-titre").textContent = "Postes libres par catégorie";
  const head = el("tr");
  head.append(el("th", {}, ""), el("th", {}, "libres"),
              el("th", {}, called ? "ouverts à l'appelé" : ""));
  table.append(head);
  for (const c of s.categories || []) {
    const tr = el("tr", {"data-categorie": c.categorie});
    tr.append(el("td", {}, LABELS[c.categorie] || c.categorie),
              el("td", {class: "n"}, String(c.libres)),
              el("td", {class: "n"}, called ? String(c.ouverts) : ""));
    table.append(tr);
  }
  $("progression").textContent = s.indisponible ?
    "Saisie suspendue : journal indisponible" : s.placed + " placés sur " + s.internes;
  $("progression").className = s.indisponible ? "perdue" : "";
  $("tete").textContent = s.journal ? "Journal — entrée " + s.journal.seq + " — tête " +
    s.journal.tete.slice(0, 32) + " " + s.journal.tete.slice(32) : "";
  $("tete").dataset.seq = s.journal ? s.journal.seq : "";
  const keep = pages[pageIndex] ? pages[pageIndex].cat : null;
  pages = buildPages();
  if (!previous || !pages[pageIndex] || pages[pageIndex].cat !== keep) {
    const k = pages.findIndex((p) => p.cat === keep);
    pageIndex = k >= 0 ? k : 0;
  }
  showPage();
}
function connect() {
  const source = new EventSource("/events");
  source.addEventListener("state", (e) => {
    $("connexion").textContent = "";
    $("connexion").className = "";
    render(JSON.parse(e.data));
  });
  source.onerror = () => {
    $("connexion").textContent = "Connexion perdue — reconnexion…";
    $("connexion").className = "perdue";
  };
}
window.addEventListener("resize", () => { if (state) { pages = buildPages(); showPage(); } });
timer = setInterval(turnPage, PAGE_SECONDS * 1000);
connect();
