"use strict";
const jeton = new URLSearchParams(location.hash.slice(1)).get("jeton") || "";
const $ = (id) => document.getElementById(id);
async function appel(chemin, corps) {
  const options = {headers: {"Authorization": "Bearer " + jeton}};
  if (corps !== undefined) {
    options.method = "POST"; options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(corps);
  }
  const r = await fetch(chemin, options);
  const data = await r.json().catch(() => ({error: "réponse illisible"}));
  if (!r.ok) throw new Error(data.error || ("erreur " + r.status));
  return data;
}
function remplir(id, lignes) {
  const ul = $(id); ul.replaceChildren();
  for (const t of lignes) { const li = document.createElement("li"); li.textContent = t; ul.append(li); }
}
async function charger() {
  try {
    const o = await appel("/api/organisateur");
    $("etat").textContent = `${o.enregistrees} listes enregistrées sur ${o.internes}` + (o.fermee ? " — campagne fermée" : "");
    remplir("semestres", o.par_semestre.map((g) => `semestre ${g.semestre} : ${g.enregistrees} / ${g.internes}`));
    remplir("dernieres", o.dernieres.map((d) => `${d.heure} — ${d.libelle} (${d.voeux} vœux)`));
    remplir("procurations", o.procurations.map((p) => `${p.libelle} : ${p.mode === "liste" ? "liste jouée" : "mandataire " + p.mandataire}`));
    remplir("sans", o.sans_liste.map((s) => s.libelle));
    remplir("couples", o.couples.map((c) => `${c.libelles.join(" + ")} : ` + (c.paires === null ? "aucune liste commune confirmée" : `${c.paires} paires, confirmée le ${c.confirmee}`) + (c.en_attente ? " (une proposition attend sa confirmation)" : "")));
    montrerPublication(o.publication, o.nominatifs);
  } catch (e) { $("etat").textContent = e.message; }
}
function montrerPublication(pub, nominatifs) {
  if (!pub) { $("pub-etat").textContent = `Rien de publié pour l'instant ; ${nominatifs} interne(s) accepte(nt) d'être nommé(s).`; return; }
  $("pub-etat").textContent = `Simulation n° ${pub.publication} publiée le ${pub.publiee_le} (UTC), calculée le ${pub.calcule_le} avec ${pub.listes_connues} listes connues ; ${pub.nominatifs} interne(s) nommé(s), les autres anonymes.`;
  dessinerPublication(pub, $("pub-internes"), $("pub-terrains"));
}
async function publier() {
  $("pub-etat").textContent = "Calcul et publication (peut prendre une minute)…";
  try { const r = await appel("/api/publier", {}); $("etat").textContent = r.message; montrerPublication(r.publication, 0); }
  catch (e) { $("pub-etat").textContent = e.message; }
}
async function exporter() {
  try {
    const doc = await appel("/api/export");
    const a = $("fichier"); a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], {type: "application/json"}));
    a.download = "choix.json"; a.hidden = false;
  } catch (e) { $("etat").textContent = e.message; }
}
document.addEventListener("DOMContentLoaded", () => { $("exporter").onclick = exporter; $("publier").onclick = publier; charger(); setInterval(charger, 30000); });
