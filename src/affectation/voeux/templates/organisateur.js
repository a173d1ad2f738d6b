"use strict";
const jeton = new URLSearchParams(location.hash.slice(1)).get("jeton") || "";
const $ = (id) => document.getElementById(id);
async function appel(chemin) {
  const r = await fetch(chemin, {headers: {"Authorization": "Bearer " + jeton}});
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
  } catch (e) { $("etat").textContent = e.message; }
}
async function exporter() {
  try {
    const doc = await appel("/api/export");
    const a = $("fichier"); a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], {type: "application/json"}));
    a.download = "choix.json"; a.hidden = false;
  } catch (e) { $("etat").textContent = e.message; }
}
document.addEventListener("DOMContentLoaded", () => { $("exporter").onclick = exporter; charger(); setInterval(charger, 30000); });
