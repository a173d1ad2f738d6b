"use strict";
// The operator's console. The token comes from the link's fragment (#jeton=…), which the
// browser never sends to a server, and is kept for this tab only (sessionStorage); every call
// sends it as "Authorization: Bearer". Every write names the interne shown as called and the
// seq of the state shown; the server refuses (409) a write that acts on anything else.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("jeton")) {
  sessionStorage.setItem("jeton", fragment.get("jeton"));
  history.replaceState(null, "", location.pathname);
}
const token = sessionStorage.getItem("jeton") || "";
const REASONS = {full: "complet", not_eligible: "non éligible",
  would_leave_mandatory_empty: "laisserait un poste obligatoire vide",
  not_in_round: "hors de ce tour", pair_unavailable: "paire indisponible",
  not_in_classement: "non classé(e) dans ce tour"};
const KINDS = {choice: "choix", procuration: "procuration", imposition: "imposition",
  pass: "passe", undo: "annulation", resume: "reprise", refused: "annonce refusée"};
const $ = (id) => document.getElementById(id);
let current = null;  // the last options shown
let busy = false;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function say(text, kind) {
  const m = $("message");
  m.textContent = text;
  m.className = kind || "";
}
function online(ok, text) {
  const c = $("connexion");
  c.dataset.etat = ok ? "ok" : "hors-ligne";
  c.textContent = text || (ok ? "En ligne" : "Serveur injoignable — reconnexion…");
}
function where(terrain) {
  return Array.isArray(terrain) ? terrain.join(" + ") : (terrain || "aucun poste");
}
function head(journal) {
  $("tete").textContent = journal ?
    "Journal : entrée " + journal.seq + " — tête " + journal.tete : "";
}
function unavailable(text) {
  $("indisponible").hidden = !text;
  $("indisponible-texte").textContent = text || "";
}
async function request(path, options) {
  // the answer as {status, data}; a server down or an answer that is not JSON is said plainly
  let r;
  try {
    r = await fetch(path, Object.assign({cache: "no-store"}, options || {}));
  } catch (e) {
    online(false);
    return {status: 0, data: {error: "Serveur injoignable : rien n'a été enregistré. " +
      "La console se reconnecte seule ; réessayez quand elle est « En ligne »."}};
  }
  online(true);
  let data;
  try { data = await r.json(); } catch (e) {
    data = {error: "Réponse illisible du serveur (HTTP " + r.status + ")."};
  }
  return {status: r.status, data: data};
}
function auth() { return {"Authorization": "Bearer " + token}; }

async function write(path, body, confirmText) {
  if (busy || !current) return null;
  if (confirmText && !window.confirm(confirmText)) return null;
  busy = true;
  try {
    const {status, data} = await request(path, {method: "POST",
      headers: Object.assign({"Content-Type": "application/json"}, auth()),
      body: JSON.stringify(body)});
    if (status !== 200) {
      if (status === 503) unavailable(data.error);
      say(data.error || ("Erreur HTTP " + status), "erreur");
      if (status === 409 && data.options) render(data.options);  // a refused announcement
      else if (status === 409 || status === 503) await refresh(true);
      return null;
    }
    const e = data.entry;
    if (e.kind === "undo") {
      say("Entrée " + e.undoes + " annulée (" + (e.libelle || e.interne) + " → " +
          where(e.terrain) + ") : enregistré comme entrée " + e.seq + ". " +
          (data.options.done ? "" : "Appelé de nouveau : " + data.options.libelle + "."),
          "annule");
    } else if (e.joues) {
      say(e.joues + " procuration(s) jouée(s) à la suite, jusqu'à l'entrée " + e.seq +
          " (" + (e.libelle || e.interne) + " → " + where(e.terrain) + "). " +
          (data.options.done ? "" : "Appelé maintenant : " + data.options.libelle + "."), "ok");
    } else {
      say("Entrée " + e.seq + " enregistrée : " + (e.libelle || e.interne) + " → " +
          where(e.terrain) + " (" + (KINDS[e.kind] || e.kind) + (e.impose ? ", imposé" : "") +
          ")" + whyNot(data.why_not), "ok");
    }
    $("terrain").value = "";
    unavailable(null);
    render(data.options);
    return data;
  } finally {
    busy = false;
  }
}
function whyNot(why) {
  const lines = [];
  for (const [who, refusals] of Object.entries(why || {}))
    for (const r of refusals) lines.push(who + " — " + r);
  return lines.length ? " — vœux meilleurs refusés : " + lines.join(" ; ") : "";
}
function turn(extra) {
  return Object.assign({interne: current.internes.join("+"), seq: current.seq}, extra || {});
}
function render(o) {
  current = o;
  const appel = $("appel");
  appel.dataset.seq = o.seq;
  head(o.journal);
  unavailable(o.indisponible);
  const membres = $("membres");
  const paires = $("paires");
  const list = $("terrains");
  membres.replaceChildren(); paires.replaceChildren(); list.replaceChildren();
  $("annuler").disabled = !o.annulable;
  for (const id of ["procuration", "passe", "imposer", "choisir"]) $(id).disabled = o.done;
  $("procurations").hidden = !o.absent_en_liste;
  if (o.done) {
    appel.textContent = "Le choix est terminé (" + o.seq + " entrées).";
    appel.dataset.internes = "";
    return;
  }
  appel.textContent = "Appelé" + (o.couple ? "s (couple)" : "") + " : " + o.libelle +
    " — " + o.position + "/" + o.of + ", tour « " + o.round + " »";
  appel.dataset.internes = o.internes.join("+");
  if (o.couple) {
    paires.append(el("h2", {}, "Liste commune du couple"));
    for (const p of o.pairs) {
      const b = el("button", {"data-pair": p.terrains.join("+"), type: "button"},
                   p.rang + ". " + p.terrains.join(" + ") +
                   (p.reason ? " (" + (REASONS[p.reason] || p.reason) + ")" : ""));
      b.disabled = !!p.reason;
      b.onclick = () => write("/api/choose", turn({terrain: p.terrains}));
      paires.append(b);
      if (!p.reason) list.append(el("option", {value: p.terrains.join("+")}));
    }
  }
  for (const m of o.members) {
    const div = el("div", {class: "membre"});
    div.append(el("h2", {}, m.libelle + " — rang " + m.rang + ", semestre " + m.semestre +
      (m.surnombre ? ", surnombre " + m.surnombre : "") +
      (m.procuration ? " — " + m.procuration.phrase : "")));
    const table = el("table");
    const headRow = el("tr");
    headRow.append(el("th", {}, ""), el("th", {}, "terrain"), el("th", {class: "ville"}, "ville"),
      el("th", {class: "n"}, "libres"), el("th", {class: "voeu"}, "vœu"));
    table.append(headRow);
    // open terrains first (wished ones by rank), then the refused ones
    const key = (t) => [t.reason ? 1 : 0, t.voeu || 1e9];
    const sorted = m.options.slice().sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return ka[0] - kb[0] || ka[1] - kb[1];
    });
    for (const t of sorted) {
      const tr = el("tr", {class: t.reason ? "refuse" : "", "data-terrain": t.terrain});
      const cell = el("td", {class: "choisir"});
      const name = t.terrain + (t.nom && t.nom !== t.terrain ? " — " + t.nom : "");
      const what = el("td", {class: "terrain"}, name);
      if (!t.reason && !o.couple) {
        const b = el("button", {"data-choose": t.terrain, type: "button"}, "Choisir");
        b.onclick = () => write("/api/choose", turn({terrain: t.terrain}));
        cell.append(b);
        list.append(el("option", {value: t.terrain}, name));
      } else if (t.reason) {
        let why = (REASONS[t.reason] || t.reason) + " (" + t.rule + ")";
        if (t.taken_by) why += " — dernier poste pris par " + t.taken_by.interne +
          " (rang " + t.taken_by.rang + ", appelé " + t.taken_by.position + ", entrée " +
          t.taken_by.seq + ")";
        what.append(el("div", {class: "pourquoi"}, why));
      }
      tr.append(cell, what, el("td", {class: "ville"}, t.ville || ""),
                el("td", {class: "n"}, String(t.free)),
                el("td", {class: "voeu n"}, t.voeu ? String(t.voeu) : ""));
      table.append(tr);
    }
    div.append(table);
    membres.append(div);
  }
}
async function refresh(quiet) {
  if (!token) {
    say("Jeton absent : ouvrez la console par le lien affiché au démarrage du serveur " +
        "(…/operateur#jeton=…).", "erreur");
    return;
  }
  const {status, data} = await request("/api/options", {headers: auth()});
  if (status === 200) {
    const shown = $("appel").dataset.seq;
    if (shown !== String(data.seq)) $("terrain").value = "";  // never carried to someone else
    render(data);
    if (!quiet && $("message").className === "erreur" && status === 200) say("", "");
  } else if (status !== 0) {
    say(data.error || ("Erreur HTTP " + status), "erreur");
  }
}
function called() { return current && !current.done ? current.libelle : "personne"; }
$("saisie").onsubmit = (event) => {
  event.preventDefault();
  const v = $("terrain").value.trim().toUpperCase();
  if (!v) { say("Saisissez le code du terrain annoncé.", "erreur"); return; }
  const parts = v.split("+").map((s) => s.trim()).filter(Boolean);
  write("/api/choose", turn({terrain: parts.length === 2 ? parts : v}));
};
$("procuration").onclick = () => write("/api/procuration", turn(),
  "Jouer la procuration de " + called() + " ?");
$("procurations").onclick = () => write("/api/procurations", turn(),
  "Jouer à la suite les listes de tous les absents appelés à partir de " + called() +
  ", jusqu'au premier interne présent ou représenté par un mandataire ?");
$("passe").onclick = () => write("/api/pass", turn(),
  called() + " ne prend aucun poste dans ce tour : confirmer ?");
$("imposer").onclick = () => write("/api/impose", turn(),
  "Imposer un poste obligatoire à " + called() + " (R-IMP) ?");
$("annuler").onclick = () => {
  const a = current && current.annulable;
  if (!a) return;
  write("/api/undo", {annule: a.seq, seq: current.seq},
    "Annuler l'entrée " + a.seq + " (" + (KINDS[a.kind] || a.kind) + " : " +
    (a.libelle || a.interne) + " → " + where(a.terrain) + ") ?");
};
$("reprendre").onclick = async () => {
  const {status, data} = await request("/api/reprendre", {method: "POST", headers: auth()});
  if (status === 200) {
    unavailable(null);
    say(data.message, "ok");
    render(data.options);
  } else {
    unavailable(data.error);
    say(data.error || ("Erreur HTTP " + status), "erreur");
  }
};
$("resultat").onclick = async () => {
  let r;
  try { r = await fetch("/api/result.xlsx", {headers: auth(), cache: "no-store"}); }
  catch (e) { online(false); say("Serveur injoignable : résultat non téléchargé.", "erreur"); return; }
  if (!r.ok) { say("Résultat non disponible (HTTP " + r.status + ").", "erreur"); return; }
  const url = URL.createObjectURL(await r.blob());
  const a = el("a", {href: url, download: "resultat.xlsx"});
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
};
// the event stream tells when anything changed (another console, a restart); EventSource
// reconnects by itself, and the console says when the server cannot be reached
const events = new EventSource("/events");
events.addEventListener("state", (e) => {
  online(true);
  const s = JSON.parse(e.data);
  if (String(s.seq) !== $("appel").dataset.seq || (s.indisponible || null) !==
      (current ? current.indisponible || null : null)) refresh(true);
});
events.onopen = () => { online(true); refresh(true); };
events.onerror = () => online(false);
refresh();
