// coordspec explore: the page's only script. Plain JavaScript, no build step, no library.
// The server computes everything (model_check/explore/session.py); this draws its answers.
// The URL (?path=0.3.1&at=2) is the whole state of the page: share it to share the step.
"use strict";

const page = { path: "0", at: 0, steps: 0, view: null, model: null, job: null, phases: null };

function $(id) { return document.getElementById(id); }

function steps(n) { return `${n} step${n === 1 ? "" : "s"}`; }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(url, options) {
  const answer = await fetch(url, options);
  const type = answer.headers.get("content-type") || "";
  const data = type.startsWith("application/json") ? await answer.json() : await answer.text();
  if (!answer.ok) throw new Error(data.error || `${answer.status} ${answer.statusText}`);
  return data;
}

function showError(error) {
  $("error").textContent = error ? String(error.message || error) : "";
  $("error").hidden = !error;
}

// --- the path ------------------------------------------------------------------------

function prefix(path, at) { return path.split(".").slice(0, at + 1).join("."); }

async function go(path, at, push = true) {
  document.body.dataset.ready = "";
  try {
    const query = `path=${encodeURIComponent(path)}` + (at === null ? "" : `&at=${at}`);
    const view = await api(`/api/state?${query}`);
    page.path = view.path; page.at = view.at; page.steps = view.steps.length; page.view = view;
    const url = `?path=${view.path}&at=${view.at}`;
    if (push) history.pushState({ path: view.path, at: view.at }, "", url);
    else history.replaceState({ path: view.path, at: view.at }, "", url);
    render(view);
    const chart = $("chart");
    chart.innerHTML = await api(`/api/chart.svg?path=${view.chart}`);
    chart.scrollTop = chart.scrollHeight;  // the latest step in view
    showError(null);
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = `${page.path}@${page.at}`;
}

function take(choice) { go(`${prefix(page.path, page.at)}.${choice}`, null); }

// --- drawing the answer ------------------------------------------------------------

function render(view) {
  $("step-at").textContent = view.at;
  $("step-count").textContent = view.steps.length;
  $("back").disabled = view.at === 0;
  $("forward").disabled = view.at >= view.steps.length;
  $("outside").hidden = view.in_constraint;
  $("phase-name").textContent = view.phase === null ? "" : `(phase: ${view.phase})`;
  renderSteps(view);
  renderState(view.state);
  renderActions(view.actions);
  renderProperties(view.properties);
  lightPhase(view.phase);
}

function renderSteps(view) {
  const list = $("steps");
  list.replaceChildren(el("li", { class: view.at === 0 ? "current" : "", "data-n": "0", onclick: () => go(page.path, 0) }, "initial state"));
  for (const step of view.steps) {
    const cls = [step.n === view.at ? "current" : "", step.n > view.at ? "future" : "", step.byzantine ? "byzantine" : ""];
    list.append(el("li", { class: cls.join(" ").trim(), "data-n": String(step.n), onclick: () => go(page.path, step.n) },
      `${step.actor}: ${step.label}`));
  }
  const current = list.querySelector("li.current");
  if (current) current.scrollIntoView({ block: "nearest" });
}

function cellTable(name, columns, rows, rowAttrs) {
  const head = el("tr", {}, ...columns.map((c) => el("th", {}, c)));
  const body = rows.map((row, i) => {
    const tr = el("tr", rowAttrs(row, i));
    row.cells.forEach((cell, k) => tr.append(el("td", { "data-field": columns[k] }, cell)));
    return tr;
  });
  return el("table", { "data-name": name }, el("thead", {}, head), el("tbody", {}, ...body));
}

function renderState(sections) {
  const box = $("state");
  box.replaceChildren();
  for (const s of sections) {
    const wrap = el("div", { class: `section ${s.kind}`, "data-name": s.name, "data-kind": s.kind });
    if (s.kind === "value") {
      wrap.className += s.changed ? " value changed" : " value";
      wrap.append(el("span", { class: "name" }, `${s.name} = `), el("span", { class: "text" }, s.text));
    } else if (s.kind === "participants") {
      wrap.append(el("h3", {}, s.name));
      const head = el("tr", {}, el("th", {}, ""), ...s.fields.map((f) => el("th", {}, f)));
      const rows = s.rows.map((row, k) => el("tr", { "data-participant": String(k) },
        el("th", {}, row.label),
        ...row.cells.map((c, i) => el("td", { "data-field": s.fields[i], class: c.changed ? "changed" : "" }, c.text))));
      wrap.append(el("table", { "data-name": s.name }, el("thead", {}, head), el("tbody", {}, ...rows)));
    } else {
      const count = s.rows.length;
      wrap.append(el("h3", { class: s.changed ? "changed" : "" }, s.name, " ",
        el("small", {}, `(${count} ${s.kind === "set" ? "element" : "entr"}${count === 1 ? (s.kind === "set" ? "" : "y") : (s.kind === "set" ? "s" : "ies")})`)));
      if (count) wrap.append(cellTable(s.name, s.columns, s.rows, (row) => ({ class: row.new ? "new" : "" })));
      for (const gone of s.removed || []) wrap.append(el("div", { class: "removed" }, `removed: ${gone}`));
    }
    box.append(wrap);
  }
}

function actionButton(a) {
  const button = el("button", { class: "action", "data-choice": String(a.choice), "data-name": a.name, "data-label": a.label,
    title: "take this step", onclick: () => take(a.choice) },
  el("span", { class: "who" }, `${a.actor}: `), a.label);
  for (const use of a.uses) button.append(el("span", { class: "uses" }, `uses ${use}`));
  return button;
}

function renderActions(actions) {
  for (const key of ["honest", "adversary"]) {
    const box = $(key);
    box.replaceChildren(...actions[key].map(actionButton));
    if (!actions[key].length) box.append(el("p", { class: "none" }, key === "honest" ? "none enabled"
      : "none enabled. Where a model keeps the faulty participants' messages implicit (PBFT), "
        + "each honest step lists the faulty messages it counts, under it in red."));
  }
  $("disabled").replaceChildren(...(actions.disabled.length ? [] : [el("li", { class: "none" }, "none: every candidate is enabled")]), ...actions.disabled.map((d) => el("li", { class: "disabled", "data-label": d.label, "data-guard": d.guard },
    `${d.actor}: ${d.label} `, el("span", { class: "guard" }, d.guard + (d.bound ? " (a bound of the model)" : "")),
    el("span", { class: "reason" }, d.reason), el("span", { class: "quote" }, d.quote))));
}

function renderProperties(properties) {
  $("properties").replaceChildren(...properties.map((p) => el("li", { class: "property", "data-name": p.name, "data-kind": p.kind, title: p.summary },
    el("span", {}, p.name, " ", el("span", { class: "kind" }, p.kind)),
    el("span", { class: `value ${p.tone}` }, p.value))));
}

// --- traces: loaded, and found by a check ------------------------------------------

function addTrace(t) {
  const list = $("traces");
  list.querySelector(".none")?.remove();
  const what = t.property ? `${t.kind} ${t.property}` : t.kind;
  const label = `${t.name === what ? what : `${t.name}: ${what}`} (${steps(t.length)}${t.loop === null ? "" : `, loops to ${t.loop}`})`;
  list.append(el("li", {}, el("button", { class: "trace", "data-name": t.name, "data-path": t.path,
    onclick: () => go(t.path, t.start === undefined ? 0 : t.start) }, label)));
}

async function startCheck() {
  try {
    const job = await api("/api/check", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: prefix(page.path, page.at) }) });
    page.job = job.job;
    $("check").disabled = true; $("cancel").hidden = false;
    $("verdicts-at").textContent = page.at;
    pollCheck();
  } catch (error) { showError(error); }
}

async function pollCheck() {
  if (page.job === null) return;
  try {
    const job = await api(`/api/jobs/${page.job}`);
    const p = job.progress;
    if (job.status === "running") {
      $("check-status").textContent = p.distinct === undefined ? "checking: starting..."
        : `checking: ${p.distinct.toLocaleString()} states, depth ${p.depth}, ${p.seconds} s`;
      setTimeout(pollCheck, 500);
      return;
    }
    page.job = null;
    $("check").disabled = false; $("cancel").hidden = true;
    if (job.status !== "done") { $("check-status").textContent = `check ${job.status}${job.error ? ": " + job.error : ""}`; return; }
    const r = job.result;
    $("check-status").textContent = `checked: ${r.result}, ${r.distinct.toLocaleString()} states in ${r.seconds} s`;
    $("verdicts").hidden = false;
    $("verdicts-result").textContent = `${r.result}: ${r.distinct.toLocaleString()} distinct states, ${r.generated.toLocaleString()} generated, depth ${r.depth}` +
      (r.complete ? "" : ` (incomplete: ${r.incomplete_reason})`);
    $("verdict-list").replaceChildren(...r.properties.map((v) => el("li", { class: "property", "data-name": v.name, "data-kind": v.kind },
      el("span", {}, v.name, " ", el("span", { class: "kind" }, v.kind)),
      el("span", { class: `value ${["holds", "reached"].includes(v.status) ? "ok" : v.status === "unknown" ? "" : "bad"}` },
        v.status + (v.trace_length === null ? "" : ` (${steps(v.trace_length)})`)))));
    for (const t of r.traces) addTrace(t);
  } catch (error) { showError(error); page.job = null; $("check").disabled = false; }
}

async function cancelCheck() {
  if (page.job !== null) { try { await api(`/api/jobs/${page.job}`, { method: "DELETE" }); } catch (error) { showError(error); } }
}

// --- the phase machine ---------------------------------------------------------------

async function pollPhases() {
  try {
    const job = await api("/api/phases");
    if (job.status === "none") { $("phases-status").textContent = job.error; return; }
    if (job.status === "running") {
      const p = job.progress;
      $("phases-status").textContent = p.distinct === undefined ? "exploring..." : `exploring: ${p.distinct.toLocaleString()} states`;
      setTimeout(pollPhases, 500);
      return;
    }
    if (job.status !== "done") { $("phases-status").textContent = `phase machine ${job.status}: ${job.error || ""}`; return; }
    page.phases = job.result.ids;
    $("phases").innerHTML = job.result.svg;
    $("phases-status").textContent = `${job.result.distinct.toLocaleString()} states${job.result.complete ? "" : " (incomplete)"}; the current phase is lit`;
    lightPhase(page.view ? page.view.phase : null);
  } catch (error) { $("phases-status").textContent = String(error.message || error); }
}

function lightPhase(phase) {
  if (page.phases === null) return;
  const id = phase === null ? null : page.phases[phase];
  for (const node of document.querySelectorAll("#phases g.node")) {
    const title = node.querySelector("title");
    node.classList.toggle("lit", id !== null && title !== null && title.textContent === id);
  }
}

// --- start ---------------------------------------------------------------------------

async function start() {
  $("restart").onclick = () => go(page.path, 0);
  $("back").onclick = () => { if (page.at > 0) go(page.path, page.at - 1); };
  $("forward").onclick = () => { if (page.at < page.steps) go(page.path, page.at + 1); };
  $("check").onclick = startCheck;
  $("cancel").onclick = cancelCheck;
  $("phases").onclick = () => $("phases").classList.toggle("wide");  // full size, or fit
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement) return;
    if (event.key === "ArrowLeft") $("back").click();
    if (event.key === "ArrowRight") $("forward").click();
    if (event.key === "Home") $("restart").click();
  });
  window.addEventListener("popstate", (event) => {
    const s = event.state || {};
    go(s.path || "0", s.at === undefined ? null : s.at, false);
  });
  try {
    const model = await api("/api/model");
    page.model = model;
    const params = Object.entries(model.params).map(([k, v]) => `${k}=${v}`).join(", ");
    $("title").textContent = `coordspec explore ${model.protocol}` + (model.variant ? ` --variant ${model.variant}` : "");
    $("subtitle").textContent = `${model.summary}; ${params || "no parameters"}`;
    document.title = `${model.protocol}: coordspec explore`;
    for (const t of model.traces) addTrace(t);
  } catch (error) { showError(error); }
  pollPhases();
  const query = new URLSearchParams(location.search);
  const at = query.get("at");
  await go(query.get("path") || "0", at === null || at === "" ? null : Number(at), false);
}

start();
