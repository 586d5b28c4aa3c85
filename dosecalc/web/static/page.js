// The page for one patient: reads the form, posts it to the API and shows the
// answer. Text from the server or the form is only ever set as textContent.
"use strict";

const DISCLAIMER = "dosecalc is decision support: every dose must be verified by a clinician.";
const FIELDS = [
  "dose", "protocol", "height", "weight", "sex", "age", "creatinine",
  "method", "bsa", "bsa_cap", "max_dose", "weight_basis", "round_to", "cycles", "prior", "ordered",
];
const LISTS = new Set(["prior", "ordered"]); // one value a line
const WHOLE = new Set(["cycles"]); // a JSON integer when it is one
// the header with the command's exit code, and the code of an ordinary result
const EXIT_HEADER = "Dosecalc-Exit-Code";
const ORDINARY = "0";
// the steps of a dose, in the order they are applied
const STEPS = [
  ["modification", "Dose modification"],
  ["patient_dose", "Patient's dose: weight basis and caps"],
  ["rounding", "Rounding"],
  ["band", "Dose band"],
];
const FORMULAS = ["method", "formula", "gfr_formula", "km", "human_km"];
const HEADLINES = ["dose", "hed", "bsa", "crcl", "per_administration"];

let accepted = {}; // endpoint name: the set of its request keys, from /openapi.json

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

function number(value) {
  if (typeof value !== "number" || !isFinite(value)) {
    return String(value);
  }
  if (Math.abs(value) >= 1e4) {
    return String(Math.round(value));
  }
  return String(Number(value.toPrecision(4)));
}

function isQuantity(value) {
  return value !== null && typeof value === "object" && "value" in value && "unit" in value && Object.keys(value).length <= 3;
}

// a number and its unit never split across lines
function quantity(value) {
  const unit = value.unit ? "\u00a0" + value.unit : "";
  if (Array.isArray(value.value)) {
    return value.value.map(shown).join(", ") + unit;
  }
  return (typeof value.value === "number" ? number(value.value) : String(value.value)) + unit;
}

function shown(value) {
  if (isQuantity(value)) {
    return quantity(value);
  }
  if (typeof value === "boolean") {
    return value ? "yes" : "no";
  }
  if (typeof value === "number") {
    return number(value);
  }
  if (Array.isArray(value)) {
    return value.map(shown).join(", ");
  }
  return String(value);
}

function label(key) {
  return key.replace(/_/g, " ");
}

// a long text (a reference, a path) may break anywhere to fit a phone; a number with its unit never does
function cellText(cell) {
  return typeof cell === "string" && cell.length > 24 ? el("span", { class: "long" }, cell) : cell;
}

function table(caption, head, rows) {
  const body = el("tbody");
  for (const row of rows) {
    body.append(el("tr", {}, ...row.map((cell, index) => el(index === 0 ? "th" : "td", index === 0 ? { scope: "row" } : {}, cellText(cell)))));
  }
  const header = el("thead", {}, el("tr", {}, ...head.map((cell) => el("th", { scope: "col" }, cell))));
  return el("div", { class: "scroll" }, el("table", {}, el("caption", {}, caption), header, body));
}

// an object of the JSON as rows: nested objects as their own rows, nulls left out
function rows(object, prefix) {
  const out = [];
  for (const [key, value] of Object.entries(object)) {
    if (value === null || value === undefined) {
      continue;
    }
    const name = prefix ? prefix + " " + label(key) : label(key);
    if (typeof value === "object" && !Array.isArray(value) && !isQuantity(value)) {
      out.push(...rows(value, name));
    } else {
      out.push([name, shown(value)]);
    }
  }
  return out;
}

function headline(payload) {
  const results = payload.results || {};
  const key = HEADLINES.find((name) => name in results) || Object.keys(results)[0];
  if (key === undefined) {
    return null;
  }
  const title = key === "dose" ? "Dose to give" : label(key);
  const value = results[key];
  return el("p", { class: "headline", id: "headline" },
    el("span", { class: "headline-label" }, title + ": "),
    el("output", { id: "answer", title: String(value.value) + " " + value.unit }, quantity(value)));
}

function formulas(payload) {
  const items = [];
  for (const key of FORMULAS) {
    const entry = payload[key];
    if (!entry) {
      continue;
    }
    const parts = [el("strong", {}, entry.label || label(key))];
    if (entry.equation) {
      parts.push(": ", el("code", {}, entry.equation));
    }
    if (key.endsWith("km")) {
      parts.push(": Km " + number(entry.value) + " " + entry.unit);
    }
    if (entry.reference) {
      parts.push(el("br"), el("cite", {}, entry.reference));
    }
    items.push(el("li", {}, ...parts));
  }
  return items.length ? el("section", {}, el("h3", {}, "Formulas and references"), el("ul", { class: "formulas" }, ...items)) : null;
}

function steps(payload) {
  const sections = Array.isArray(payload.steps) ? [stepTable("Steps, in the order applied", payload.steps)] : [];
  let count = 0;
  for (const [key, title] of STEPS) {
    if (payload[key]) {
      count += 1;
      sections.push(table(count + ". " + title, ["", "value"], rows(payload[key])));
    }
  }
  return sections.length ? el("section", { id: "steps" }, el("h3", {}, "Every step"), ...sections) : null;
}

// the text as the server received it, its spaces kept: a space typed before a value is seen, not collapsed away
function typedText(text) {
  return el("span", { class: "typed long" }, String(text));
}

function inputs(payload) {
  const read = Object.entries(payload.inputs || {}).map(([key, item]) => [label(key), typedText(item.given), shown(item)]);
  return read.length ? table("Values read: as typed, and as read", ["", "typed", "read as"], read) : null;
}

function results(payload) {
  const all = Object.entries(payload.results || {}).map(([key, value]) => [label(key), shown(value)]);
  return all.length ? table("Results", ["", "value"], all) : null;
}

// the steps of one dose, in the order applied: what each changed, how, and its source
function stepTable(caption, list) {
  const items = list.map((step) => el("li", {},
    el("strong", {}, step.name + (step.applied === false ? " (not applied)" : "")),
    step.after ? ": " + (step.before ? shown(step.before) + " \u2192 " : "") + shown(step.after) : "",
    step.change ? el("br") : null, step.change || "",
    step.reference ? el("br") : null, step.reference ? el("cite", {}, step.reference) : null));
  return el("section", { class: "dose-steps" }, el("h4", {}, caption), el("ol", { class: "steps" }, ...items));
}

// 1, 8, 15 or 1-21: runs of consecutive days as ranges
function days(list) {
  const runs = [];
  let start = list[0];
  list.forEach((day, index) => {
    if (list[index + 1] !== day + 1) {
      runs.push(start === day ? String(start) : start + "\u2013" + day);
      start = list[index + 1];
    }
  });
  return runs.join(", ");
}

function changedBy(order) {
  const marks = [];
  if (order.capped) marks.push("capped");
  if (order.rounding) marks.push("rounded");
  if (order.band) marks.push("banded");
  if (order.modification) marks.push("modified");
  return marks.join(", ");
}

// whom a limit is for, as the command line shows it: its condition, and its population unless everyone's
function limitFor(limit) {
  return limit.population && limit.population !== "all" ? limit.condition + ", " + limit.population : limit.condition;
}

function reached(exposure) {
  if (exposure.note) {
    return exposure.note;
  }
  if (exposure.reached_at_cycle === null) {
    return limitFor(exposure.limit) + ": not reached";
  }
  return limitFor(exposure.limit) + ": reached at cycle " + exposure.reached_at_cycle + (exposure.within_plan ? ", within this plan" : "");
}

function schedule(payload) {
  const plan = payload.schedule;
  if (!plan) {
    return [];
  }
  const bsa = plan.bsa ? ", BSA " + quantity(plan.bsa) : "";
  const heading = el("p", { class: "headline", id: "headline" },
    el("output", { id: "answer" }, plan.protocol), el("span", { class: "headline-label" }, `: ${plan.cycles} cycles of ${plan.cycle_days} days${bsa}`));
  const orders = table("Schedule: each drug's dose to give", ["drug", "days", "dose"], plan.orders.map((order) => [
    order.note ? el("span", {}, order.drug, el("br"), el("small", {}, order.note)) : order.drug,
    days(order.days) + (order.times_per_day > 1 ? ` (×${order.times_per_day} a day)` : ""),
    changedBy(order) ? el("span", {}, quantity(order.dose), el("br"), el("small", {}, changedBy(order))) : quantity(order.dose),
  ]));
  const every = el("section", { id: "steps" }, el("h3", {}, "Every step"),
    ...plan.orders.map((order) => stepTable(order.drug + ": " + quantity(order.dose), order.steps)));
  const parts = [heading, el("p", { class: "disclaimer", role: "note" }, DISCLAIMER), orders, every];
  const cumulative = payload.cumulative;
  if (cumulative) {
    parts.push(table(`Cumulative after ${cumulative.cycles} cycles`, ["drug", "total", "lifetime limit"],
      cumulative.exposures.map((exposure) => [
        el("span", {}, exposure.drug, el("br"), el("small", {}, quantity(exposure.per_cycle) + " a cycle")),
        el("span", {}, quantity(exposure.total), exposure.total_as_limit ? el("br") : null,
          exposure.total_as_limit ? quantity(exposure.total_as_limit) : null,
          exposure.prior && exposure.prior.value ? el("br") : null,
          exposure.prior && exposure.prior.value ? el("small", {}, "with prior " + quantity(exposure.prior)) : null),
        exposure.limit ? el("span", {}, quantity(exposure.limit.amount), el("br"), el("small", {}, reached(exposure))) : "",
      ])));
    const sources = cumulative.exposures.filter((exposure) => exposure.limit).map((exposure) => el("li", {}, el("strong", {}, exposure.drug + ": "), el("cite", {}, exposure.limit.source)));
    if (sources.length) {
      parts.push(el("section", {}, el("h3", {}, "Lifetime limits: sources"), el("ul", { class: "formulas" }, ...sources)));
    }
  }
  return parts;
}

function percent(value) {
  return value === null || value === undefined ? "" : (value > 0 ? "+" : "") + number(value) + " %";
}

function flagItems(flags, drug) {
  return flags.map((flag) => el("li", { class: "flag" },
    el("strong", {}, (drug ? drug + ": " : "") + label(flag.code)), " — " + flag.message,
    flag.source ? el("br") : null, flag.source ? el("cite", {}, flag.source) : null));
}

// the verification of ordered doses: a verdict per drug, its flags and the computation's every step
function verification(payload) {
  const checked = payload.verification || payload;
  if (!Array.isArray(checked.checks)) {
    return null;
  }
  const attention = checked.checks.filter((check) => !check.ok).length + checked.flags.length;
  const heading = el("p", { class: "headline " + (checked.ok ? "ok" : "attention"), id: "headline" },
    el("output", { id: "answer" }, checked.ok ? "Every order verified" : attention + " to look at"),
    checked.protocol ? el("span", { class: "headline-label" }, ": " + checked.protocol) : null);
  const rows = checked.checks.map((check) => [
    check.note ? el("span", {}, check.drug, el("br"), el("small", {}, check.note)) : check.drug,
    check.ordered ? String(check.ordered.given) : "not ordered",
    check.computed ? quantity(check.computed) : "",
    el("span", { class: check.ok ? "verdict ok" : "verdict attention" },
      label(check.verdict) + (check.flags.length ? ", flagged" : ""),
      check.difference_pct === null ? null : el("br"), check.difference_pct === null ? null : el("small", {}, percent(check.difference_pct))),
  ]);
  const parts = [heading, el("p", { class: "disclaimer", role: "note" }, DISCLAIMER),
    table("Each order against the dose computed independently", ["drug", "ordered", "computed", "verdict"], rows)];
  const flags = [...flagItems(checked.flags, null), ...checked.checks.flatMap((check) => flagItems(check.flags, check.drug))];
  const reasons = checked.checks.filter((check) => check.reason).map((check) => el("li", {}, el("strong", {}, check.drug + ": "), check.reason));
  if (flags.length || reasons.length) {
    parts.push(el("section", { id: "flags" }, el("h3", {}, "What to look at"), el("ul", { class: "formulas" }, ...flags, ...reasons)));
  }
  const computations = checked.checks.filter((check) => check.computation && check.computation.steps);
  if (computations.length) {
    parts.push(el("section", { id: "steps" }, el("h3", {}, "Every step of the independent computation"),
      ...computations.map((check) => stepTable(check.drug + ": " + quantity(check.computation.dose), check.computation.steps))));
  }
  const settings = [checked.tolerance, checked.weight_change].filter(Boolean)
    .map((setting) => el("li", {}, el("strong", {}, label(setting.name) + ": " + number(setting.value) + " " + setting.unit), el("br"), el("cite", {}, setting.source)));
  const references = (checked.references || []).map((reference) => el("li", {}, el("cite", {}, reference)));
  parts.push(el("section", {}, el("h3", {}, "Settings and references"), el("ul", { class: "formulas" }, ...settings, ...references)));
  return parts;
}

function reachedAt(exposure) {
  return exposure.reached_at_cycle === 0 ? "before cycle 1" : "at cycle " + exposure.reached_at_cycle + ", within this plan";
}

// what a non-zero exit code says needs attention, as the command line prints it before exiting 4: a lifetime limit
// reached within the plan (REACHED), an order or a flag to look at; an answer with another code, or none, is no
// ordinary result either
function attention(endpoint, payload, code) {
  if (code === ORDINARY) {
    return null;
  }
  const reasons = [];
  const exposures = payload.cumulative && Array.isArray(payload.cumulative.exposures) ? payload.cumulative.exposures : [];
  for (const exposure of exposures.filter((each) => each.within_plan && each.limit)) {
    reasons.push(`${exposure.drug}: lifetime limit of ${quantity(exposure.limit.amount)} (${limitFor(exposure.limit)}) REACHED ${reachedAt(exposure)}`);
  }
  const checked = payload.verification || payload;
  if (Array.isArray(checked.checks)) {
    for (const flag of checked.flags || []) {
      reasons.push(label(flag.code) + ": " + flag.message);
    }
    for (const check of checked.checks) {
      if (check.verdict !== "within_tolerance") {
        reasons.push(check.drug + ": " + label(check.verdict) + (check.reason ? " — " + check.reason : ""));
      }
      for (const flag of check.flags || []) {
        reasons.push(check.drug + ": " + label(flag.code) + ": " + flag.message);
      }
    }
  }
  const reached = exposures.some((each) => each.within_plan && each.limit);
  const title = code === "4"
    ? (reached ? "Lifetime limit reached" : "Needs attention")
    : `Needs attention: dosecalc ${endpoint} answered with ${code === null ? "no exit code" : "exit code " + code}`;
  return el("div", { class: "attention", role: "alert", id: "attention" },
    el("p", { class: "attention-headline" }, title),
    reasons.length ? el("ul", {}, ...reasons.map((reason) => el("li", {}, reason))) : el("p", {}, "Read every step below before giving a dose."));
}

function render(endpoint, payload, code) {
  const raw = el("details", {}, el("summary", {}, "JSON, as dosecalc " + endpoint + " --json prints it"),
    el("pre", {}, JSON.stringify(payload, null, 2)));
  const body = verification(payload) || (payload.schedule ? schedule(payload) : [
    headline(payload),
    el("p", { class: "disclaimer", role: "note" }, DISCLAIMER),
    steps(payload),
  ]);
  return [
    el("h2", {}, "Result"),
    attention(endpoint, payload, code),
    ...body,
    inputs(payload),
    results(payload),
    formulas(payload),
    el("p", { class: "version" }, "dosecalc " + payload.dosecalc_version),
    raw,
  ];
}

function renderError(problem) {
  const parts = [el("h2", {}, "Not calculated"), el("p", { class: "message" }, problem.message)];
  const details = [];
  if (problem.field) details.push(["field", problem.field]);
  if (problem.value) details.push(["value", problem.value]);
  if (problem.expected) details.push(["expected", problem.expected]);
  if (problem.hint) details.push(["hint", problem.hint]);
  if (details.length) {
    parts.push(el("dl", {}, ...details.flatMap(([name, text]) => [el("dt", {}, name), el("dd", {}, text)])));
  }
  return el("div", { class: "error", role: "alert", id: "error" }, ...parts);
}

function mode() {
  return document.querySelector("input[name=mode]:checked").value;
}

// the input of a request key: the ordered doses are one field for a dose, a list for a protocol
function fieldFor(name) {
  return document.getElementById(name === "ordered" && mode() === "protocol" ? "ordered-list" : name);
}

// a list field's values, one a line exactly as typed: a line break is \n or \r\n (a textarea gives \n); an empty
// line (after a last line break) holds no value, but a line of spaces is sent, for the server to refuse
function lines(text) {
  return text.split(/\r?\n/).filter((line) => line !== "");
}

// what a field sends: its text exactly as typed, never trimmed (a list field: its lines); undefined when nothing is
// typed, so not given
function typed(name) {
  const text = fieldFor(name).value;
  if (LISTS.has(name)) {
    const values = lines(text);
    return values.length ? values : undefined;
  }
  return text === "" ? undefined : text;
}

function endpointFor() {
  if (typed("ordered") !== undefined) {
    return "verify";
  }
  return mode() === "dose" ? "dose" : "plan";
}

// what the form asks of the endpoint; a value the endpoint does not take is refused, never dropped
function request(endpoint) {
  const body = {};
  const keys = accepted[endpoint];
  for (const name of FIELDS) {
    const input = fieldFor(name);
    if (!input || input.closest("[hidden]")) {
      continue;
    }
    const value = typed(name);
    if (value === undefined) {
      continue;
    }
    if (!keys.has(name)) {
      return { problem: { message: `${name} is not used by ${endpoint}; clear it to go on`, field: name, value: input.value } };
    }
    body[name] = WHOLE.has(name) && /^[0-9]{1,6}$/.test(value) ? Number(value) : value;
  }
  return { body };
}

function mark(field) {
  for (const input of document.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
  const input = field && fieldFor(field);
  if (input) {
    input.setAttribute("aria-invalid", "true");
  }
  return input;
}

async function submit(event) {
  event.preventDefault();
  const out = document.getElementById("result");
  const endpoint = endpointFor();
  out.replaceChildren();
  if (!accepted[endpoint]) {
    out.append(renderError({ message: `${endpoint} is not available on this server` }));
    return;
  }
  const { body, problem } = request(endpoint);
  if (problem) {
    out.append(renderError(problem));
    mark(problem.field);
    return;
  }
  out.setAttribute("aria-busy", "true");
  try {
    const response = await fetch("/api/" + endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const payload = await response.json();
    if (response.ok) {
      mark(null);
      out.append(...render(endpoint, payload, response.headers.get(EXIT_HEADER)).filter(Boolean));
      out.focus();
    } else {
      out.append(renderError(payload.message ? payload : { message: "HTTP " + response.status }));
      const input = mark(payload.field);
      if (input) {
        input.focus();
      }
    }
  } catch (failure) {
    out.append(renderError({ message: "No answer from the dosecalc server: " + failure.message }));
  } finally {
    out.removeAttribute("aria-busy");
  }
}

// the fields of the mode's calculation, and the ordered doses when the server verifies; the others hidden, and so not sent
function show() {
  const current = mode();
  const wanted = new Set([...(accepted[current === "dose" ? "dose" : "plan"] || []), ...(accepted.verify ? ["ordered"] : [])]);
  for (const field of document.querySelectorAll(".field")) {
    const input = field.querySelector("input, select, textarea");
    const key = input.name === "ordered-list" ? "ordered" : input.name;
    const inMode = !field.dataset.mode || field.dataset.mode === current;
    field.hidden = !(inMode && wanted.has(key));
  }
  document.getElementById("ordered-doses").hidden = !accepted.verify;
  document.getElementById("course").hidden = current !== "protocol";
}

async function protocols() {
  const select = document.getElementById("protocol");
  const response = await fetch("/api/protocols", { headers: { Accept: "application/json" } });
  if (!response.ok) {
    return;
  }
  const listed = await response.json();
  select.replaceChildren(...listed.protocols.map((entry) => el("option", { value: entry.name }, entry.title || entry.name)));
}

// the BSA formulas the server knows, after its default (Mosteller), sent as no formula: a formula beside a given
// BSA is refused, the default is not
async function methods() {
  const select = document.getElementById("method");
  const response = await fetch("/api/methods", { headers: { Accept: "application/json" } });
  if (!response.ok) {
    return;
  }
  const listed = await response.json();
  const named = listed.methods.find((entry) => entry.name === "mosteller");
  const standard = el("option", { value: "" }, `${named ? named.label : "Mosteller"} (the default)`);
  select.replaceChildren(standard, ...listed.methods.map((entry) => el("option", { value: entry.name }, entry.label)));
  select.value = "";
}

async function start() {
  const form = document.getElementById("order");
  form.addEventListener("submit", submit);
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", show);
  }
  const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
  const description = await response.json();
  for (const [path, item] of Object.entries(description.paths)) {
    const schema = item.post && item.post.requestBody && item.post.requestBody.content["application/json"].schema;
    if (path.startsWith("/api/") && schema) {
      const name = schema.$ref.split("/").pop();
      accepted[path.slice(5)] = new Set(Object.keys(description.components.schemas[name].properties));
    }
  }
  await methods();
  const planned = "plan" in accepted;
  document.getElementById("mode-protocol").disabled = !planned;
  if (planned) {
    await protocols();
  }
  show();
  form.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
