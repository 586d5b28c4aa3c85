// The endpoints of /openapi.json as a page: each path, what it does and the keys it takes.
"use strict";

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function schemaOf(description, reference) {
  return description.components.schemas[reference.split("/").pop()];
}

function typeOf(property) {
  const kinds = (property.anyOf || [property]).map((entry) => entry.type).filter((kind) => kind && kind !== "null");
  return kinds.join(" or ") || "any";
}

// a key in code, breakable after each "_" (allow_outside_range is wider than a phone's column)
function keyCode(key) {
  const code = el("code");
  key.split("_").forEach((part, index, parts) => {
    code.append(document.createTextNode(part + (index < parts.length - 1 ? "_" : "")));
    if (index < parts.length - 1) {
      code.append(el("wbr"));
    }
  });
  return code;
}

function endpoint(description, path, method, operation) {
  const section = el("section");
  section.id = path.slice(1).replace(/\//g, "-");
  section.append(el("h2", method.toUpperCase() + " " + path));
  if (operation.description) {
    section.append(el("p", operation.description));
  }
  const body = operation.requestBody && operation.requestBody.content["application/json"];
  if (!body) {
    return section;
  }
  const schema = schemaOf(description, body.schema.$ref);
  const required = new Set(schema.required || []);
  const table = el("table");
  table.className = "keys";
  const head = el("tr");
  for (const title of ["key", "type", "description"]) {
    const cell = el("th", title);
    cell.scope = "col";
    head.append(cell);
  }
  table.append(el("caption", "Request keys"), head);
  for (const [key, property] of Object.entries(schema.properties)) {
    const row = el("tr");
    const name = el("th");
    name.scope = "row";
    name.append(keyCode(key));
    const fallback = property.default === undefined || property.default === null ? "" : ", default " + JSON.stringify(property.default);
    const description = el("td", property.description || "");
    description.className = "long";
    row.append(name, el("td", typeOf(property) + (required.has(key) ? ", required" : fallback)), description);
    table.append(row);
  }
  const wrapper = el("div");
  wrapper.className = "scroll";
  wrapper.append(table);
  section.append(wrapper);
  return section;
}

async function start() {
  const main = document.getElementById("endpoints");
  const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
  const description = await response.json();
  for (const [path, item] of Object.entries(description.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      main.append(endpoint(description, path, method, operation));
    }
  }
  main.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
