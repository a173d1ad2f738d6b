// The interne's page: the token comes from the link's fragment (#jeton=…), never sent by the
// browser; every call sends it as Authorization: Bearer.
"use strict";
const jeton = new URLSearchParams(location.hash.slice(1)).get("jeton") || "";
let moi = null, liste = [], precedent = "", glisse = null, enCalcul = false, encore = false;
const RAFRAICHIR_MS = 3 * 60 * 1000;  // the chances are asked again every three minutes
const $ = (id) => document.getElementById(id);
const nomDe = (id) => { const t = moi.terrains.find((x) => x.id === id); return t ? t : {id, nom: id, ville: "", categories: []}; };

function etat(texte, erreur) { $("etat").textContent = texte; $("etat").className = erreur ? "erreur" : ""; }

async function appel(chemin, corps) {
  const options = {headers: {"Authorization": "Bearer " + jeton}};
  if (corps !== undefined) {
    options.method = "POST"; options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(corps);
  }
  const r = await fetch(chemin, options);
  const data = await r.json().catch(() => ({error: "réponse illisible du serveur"}));
  if (!r.ok) throw new Error(data.error || ("erreur " + r.status));
  return data;
}

function libelleTerrain(t) { return `${t.nom} — ${t.ville || "?"} (${t.categories.join(", ")}) [${t.id}]`; }

function dessinerListe() {
  const ol = $("liste"); ol.replaceChildren();
  liste.forEach((id, k) => {
    const li = document.createElement("li"); li.draggable = true; li.tabIndex = 0; li.dataset.id = id;
    const n = document.createElement("span"); n.className = "nom"; n.textContent = `${k + 1}. ${libelleTerrain(nomDe(id))}`;
    const haut = document.createElement("button"); haut.type = "button"; haut.textContent = "↑"; haut.setAttribute("aria-label", "monter " + id);
    const bas = document.createElement("button"); bas.type = "button"; bas.textContent = "↓"; bas.setAttribute("aria-label", "descendre " + id);
    const ote = document.createElement("button"); ote.type = "button"; ote.textContent = "✕"; ote.setAttribute("aria-label", "retirer " + id);
    haut.onclick = () => deplacer(k, k - 1); bas.onclick = () => deplacer(k, k + 1);
    ote.onclick = () => { liste.splice(k, 1); modifie(); };
    li.onkeydown = (e) => {
      if (e.altKey && e.key === "ArrowUp") { e.preventDefault(); deplacer(k, k - 1, true); }
      if (e.altKey && e.key === "ArrowDown") { e.preventDefault(); deplacer(k, k + 1, true); }
    };
    li.ondragstart = () => { glisse = k; li.classList.add("glisse"); };
    li.ondragend = () => li.classList.remove("glisse");
    li.ondragover = (e) => e.preventDefault();
    li.ondrop = (e) => { e.preventDefault(); if (glisse !== null) deplacer(glisse, k); glisse = null; };
    li.append(n, haut, bas, ote); ol.append(li);
  });
}

function deplacer(de, vers, focus) {
  if (vers < 0 || vers >= liste.length || de === vers) return;
  const [x] = liste.splice(de, 1); liste.splice(vers, 0, x); modifie();
  if (focus) $("liste").children[vers].focus();
}

function modifie() { dessinerListe(); dessinerTerrains(); etat("Liste modifiée, pas encore enregistrée."); }

function dessinerTerrains() {
  const q = $("recherche").value.trim().toLowerCase();
  const ul = $("terrains"); ul.replaceChildren(); const fermes = $("fermes"); fermes.replaceChildren();
  for (const t of moi.terrains) {
    const texte = libelleTerrain(t);
    if (q && !texte.toLowerCase().includes(q)) continue;
    const li = document.createElement("li");
    const s = document.createElement("span"); s.textContent = texte; li.append(s);
    if (t.raison) { s.textContent = texte + " : " + t.raison; fermes.append(li); continue; }
    if (!liste.includes(t.id)) {
      const b = document.createElement("button"); b.type = "button"; b.textContent = "Ajouter";
      b.setAttribute("aria-label", "ajouter " + t.id);
      b.onclick = () => { liste.push(t.id); modifie(); };
      li.append(b);
    }
    ul.append(li);
  }
}

function montrerRecu(recu) {
  if (!recu) { $("recu").textContent = "Aucune liste enregistrée pour l'instant."; return; }
  precedent = recu.empreinte;
  $("recu").textContent = `Dernier reçu : ${recu.heure} (UTC), empreinte ${recu.empreinte}`;
  const blob = new Blob([JSON.stringify(recu, null, 2)], {type: "application/json"});
  const a = $("telecharger"); a.href = URL.createObjectURL(blob);
  a.download = `recu-${recu.interne}-${recu.heure.replace(/[:.]/g, "-")}.json`; a.hidden = false;
}

async function charger() {
  if (!jeton) { etat("Lien incomplet : ouvrez votre lien personnel tel que reçu.", true); return; }
  try { moi = await appel("/api/moi"); } catch (e) { etat(e.message, true); return; }
  $("qui").textContent = `${moi.libelle} — rang ${moi.rang}, semestre ${moi.semestre}` + (moi.fermee ? " — campagne fermée" : "");
  liste = moi.voeux.slice(); montrerRecu(moi.recu); dessinerListe(); dessinerTerrains();
  if (moi.procuration) {
    const r = document.querySelector(`input[name=mode][value=${moi.procuration.mode}]`); if (r) r.checked = true;
    $("mandataire").value = moi.procuration.mandataire || "";
  }
  $("nominatif").checked = !!moi.nominatif;
  if (moi.couple) chargerCouple();
  etat(""); chances(true);
}

async function enregistrer() {
  etat("Enregistrement…");
  try {
    const r = await appel("/api/liste", {voeux: liste, precedent});
    montrerRecu(r.recu); etat(r.message + " — reçu prêt à télécharger.");
    chances(true);
  } catch (e) { etat(e.message, true); }
}

// discret: a refresh in the background (after a save, every few minutes) leaves the status line
// to what the interne did last.
async function chances(discret) {
  if (enCalcul) { encore = true; return; }  // asked again once the running one is done
  enCalcul = true;
  if (!discret) etat("Calcul des chances (peut prendre une minute)…");
  else if (!$("chances").textContent) $("chances").textContent = "Calcul des chances en cours…";
  try {
    const c = await appel("/api/chances"); const div = $("chances"); div.replaceChildren();
    const p = document.createElement("p"); p.id = "chances-resume";
    p.textContent = `Calculé le ${c.calcule_le} (UTC) avec ${c.listes_connues} listes connues sur ${c.internes} (les autres sont devinées), ${c.tirages} tirages ; votre position dans l'ordre du choix : ${c.position}.`;
    div.append(p);
    if (!c.votre_liste_connue) { const q = document.createElement("p"); q.textContent = "Votre liste n'était pas encore enregistrée lors de ce calcul : voici vos issues les plus probables."; div.append(q); }
    const ul = document.createElement("ul");
    for (const v of c.voeux) {
      const li = document.createElement("li");
      const rl = v.rang_limite_median === null ? "jamais pris dans la simulation" : `rang limite ${v.rang_limite_median}`;
      li.textContent = `vœu ${v.rang} ${v.nom} : ${Math.round(v.probabilite * 100)} % (libre à votre tour : ${Math.round(v.libre_a_votre_tour * 100)} % ; ${rl} ; au moins ${v.postes_surement_libres} poste(s) sûrement libre(s) d'après les listes connues)`;
      ul.append(li);
    }
    for (const v of (c.voeux.length ? [] : c.probables)) { const li = document.createElement("li"); li.textContent = `${v.nom} : ${Math.round(v.probabilite * 100)} %`; ul.append(li); }
    div.append(ul);
    const lim = $("limites"); lim.replaceChildren();
    for (const t of c.rangs_limites) {
      const li = document.createElement("li");
      li.textContent = `${t.nom} — ${t.ville || "?"}, ${t.postes} poste(s) : ` + (t.rang_limite_median === null ? "jamais pris dans la simulation" : `rang limite ${t.rang_limite_median} (entre ${t.rang_limite_p05} et ${t.rang_limite_p95})`);
      lim.append(li);
    }
    if (!discret) etat("");
  } catch (e) { if (discret) $("chances").textContent = e.message; else etat(e.message, true); }
  finally {
    enCalcul = false;
    if (encore) { encore = false; chances(true); }
  }
}

// The couple's joint list: pairs of terrain ids, one for each member in the couple's order.
let couple = null, paires = [];
const nomTerrain = (membre, id) => { const t = couple.membres[membre].terrains.find((x) => x.id === id); return t ? `${t.nom} — ${t.ville || "?"}` : id; };

function dessinerPaires() {
  const ol = $("paires"); ol.replaceChildren();
  paires.forEach((p, k) => {
    const li = document.createElement("li");
    const n = document.createElement("span"); n.className = "nom"; n.textContent = `${nomTerrain(0, p[0])} + ${nomTerrain(1, p[1])}`;
    const haut = document.createElement("button"); haut.type = "button"; haut.textContent = "↑"; haut.setAttribute("aria-label", "monter la paire " + (k + 1));
    const ote = document.createElement("button"); ote.type = "button"; ote.textContent = "✕"; ote.setAttribute("aria-label", "retirer la paire " + (k + 1));
    haut.onclick = () => { if (k > 0) { [paires[k - 1], paires[k]] = [paires[k], paires[k - 1]]; dessinerPaires(); } };
    ote.onclick = () => { paires.splice(k, 1); dessinerPaires(); };
    li.append(n, haut, ote); ol.append(li);
  });
}

function montrerCouple(c) {
  couple = c; $("couple").hidden = false;
  for (const k of [0, 1]) {
    $("couple-nom-" + k).textContent = c.membres[k].libelle + (c.membres[k].vous ? " (vous)" : "");
    const sel = $("couple-t" + k); sel.replaceChildren();
    for (const t of c.membres[k].terrains) { const o = document.createElement("option"); o.value = t.id; o.textContent = `${t.nom} — ${t.ville || "?"}`; sel.append(o); }
  }
  const p = c.proposee;
  paires = p ? p.voeux.map((v) => [v[0].id, v[1].id]) : [];
  dessinerPaires();
  let texte = "Aucune liste commune proposée pour l'instant.";
  if (p) texte = `Liste proposée par ${p.auteur} le ${p.heure} (UTC) : ` + (p.confirmee ? `confirmée le ${p.confirmee} ; c'est celle du couple.` : "en attente de confirmation.");
  if (p && !p.confirmee && c.en_vigueur) texte += ` La liste en vigueur reste celle confirmée le ${c.en_vigueur.confirmee}.`;
  $("couple-etat").textContent = texte;
  $("confirmer").hidden = !(p && !p.confirmee && !p.de_vous);
}

async function chargerCouple() {
  try { montrerCouple(await appel("/api/couple")); } catch (e) { etat(e.message, true); }
}

async function proposer() {
  try { const r = await appel("/api/couple/proposer", {voeux: paires}); montrerCouple(r); etat(r.message); }
  catch (e) { etat(e.message, true); }
}

async function confirmer() {
  try { const r = await appel("/api/couple/confirmer", {proposition: couple.proposee.proposition}); montrerCouple(r); etat(r.message); }
  catch (e) { etat(e.message, true); }
}

async function accord() {
  try { const r = await appel("/api/accord", {nominatif: $("nominatif").checked}); etat(r.message); }
  catch (e) { etat(e.message, true); }
}

async function procurer() {
  const choix = document.querySelector("input[name=mode]:checked");
  if (!choix) { etat("Choisissez une des trois options.", true); return; }
  try {
    const r = await appel("/api/procuration", {mode: choix.value, mandataire: $("mandataire").value});
    etat(r.message);
  } catch (e) { etat(e.message, true); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("enregistrer").onclick = enregistrer; $("calculer").onclick = () => chances(false); $("procurer").onclick = procurer;
  $("accord").onclick = accord; $("proposer").onclick = proposer; $("confirmer").onclick = confirmer;
  $("ajouter-paire").onclick = () => {
    const p = [$("couple-t0").value, $("couple-t1").value];
    if (!p[0] || !p[1]) return;
    if (paires.some((q) => q[0] === p[0] && q[1] === p[1])) { etat("Cette paire est déjà dans la liste.", true); return; }
    paires.push(p); dessinerPaires(); etat("Liste commune modifiée, pas encore proposée.");
  };
  $("recherche").oninput = dessinerTerrains; charger();
  setInterval(() => { if (moi && !document.hidden) chances(true); }, RAFRAICHIR_MS);
});
