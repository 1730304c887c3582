// natsbridge in the browser: send text, files and tables, and list what arrives on the subject.
// `npm run example:browser` bundles this file with esbuild and serves it; open the page in two
// tabs to chat between them. nats.ws is the WebSocket NATS client natsbridge uses in browsers;
// the page uses it directly only to subscribe.
import { connect } from "nats.ws";
import { smartsend, smartreceive, NatsBridgeError } from "natsbridge";

const $ = (id) => document.getElementById(id);
const status = $("status");

// Where the servers are: /config.json from `npm run example:browser`, overridable by ?ws=&files=&subject=
const params = new URLSearchParams(location.search);
const config = await fetch("./config.json").then((r) => (r.ok ? r.json() : {}), () => ({}));
const wsUrl = params.get("ws") ?? config.wsUrl ?? "ws://127.0.0.1:8080";
const fileserverUrl = params.get("files") ?? config.fileserverUrl ?? "http://127.0.0.1:8081";
const subject = params.get("subject") ?? config.subject ?? "natsbridge.example.chat";
const me = `browser-${Math.random().toString(36).slice(2, 6)}`;

const options = { broker_url: wsUrl, fileserver_url: fileserverUrl, sender_name: me };

let nc;
try {
  nc = await connect({ servers: wsUrl });
  status.textContent = `connected as ${me} · ${wsUrl} · subject ${subject} · file server ${fileserverUrl}`;
  status.className = "ok";
  for (const b of document.querySelectorAll("button")) b.disabled = false;
} catch (e) {
  status.textContent = `cannot connect to ${wsUrl}: ${e.message}`;
  status.className = "err";
  throw e;
}

// ---- receiving --------------------------------------------------------------------------------

const sub = nc.subscribe(subject);
(async () => {
  for await (const m of sub) {
    // The wire envelope says how each payload travelled; smartreceive gives the decoded values.
    let transports = [];
    try {
      transports = JSON.parse(new TextDecoder().decode(m.data)).payloads.map((p) => p.transport);
    } catch {}
    try {
      // Links are fetched only from the file server this page names (docs/security.md).
      show(await smartreceive(m, { fileserver_url: fileserverUrl }), transports);
    } catch (e) {
      showError(e);
    }
  }
})();

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

async function sha256(bytes) {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

const mimeOf = { image: "image/*", audio: "audio/*", video: "video/*" };

function preview(name, value, type) {
  switch (type) {
    case "text":
      return el("div", { className: "text" }, value);
    case "dictionary":
    case "jsontable":
      return el("pre", {}, JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v), 2));
    case "arrowtable": {
      const cols = value.schema.fields.map((f) => f.name);
      const head = el("tr", {}, ...cols.map((c) => el("th", {}, c)));
      const rows = value.toArray().slice(0, 20).map((r) => el("tr", {}, ...cols.map((c) => el("td", {}, String(r[c])))));
      return el("table", {}, head, ...rows);
    }
    case "image": {
      const img = el("img", { alt: name, src: URL.createObjectURL(new Blob([value])) });
      return img;
    }
    case "audio":
    case "video":
      return el(type, { controls: true, src: URL.createObjectURL(new Blob([value], { type: mimeOf[type] })) });
    default: {
      const a = el("a", { href: URL.createObjectURL(new Blob([value])), download: name }, "download");
      const sum = el("code", { className: "sha256" }, "sha256 …");
      sha256(value).then((h) => (sum.textContent = `sha256 ${h}`));
      return el("div", {}, a, " · ", sum);
    }
  }
}

const byteSize = (v) => (v instanceof Uint8Array ? v.length : undefined);
const human = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

function show(env, transports) {
  const meta = el(
    "div",
    { className: "meta" },
    el("span", {}, new Date(env.timestamp).toLocaleTimeString()),
    el("span", {}, `from ${env.sender_name || "?"}`),
    el("span", {}, `correlation ${env.correlation_id.slice(0, 8)}`),
  );
  const item = el("li", { className: "msg" }, meta);
  env.payloads.forEach(([name, value, type], i) => {
    const transport = transports[i] ?? "?";
    const size = byteSize(value);
    const head = el(
      "div",
      { className: "meta" },
      el("b", {}, name),
      el("span", { className: "tag" }, type),
      el("span", { className: `tag ${transport}` }, transport),
      ...(size === undefined ? [] : [el("span", {}, human(size))]),
    );
    const row = el("div", { className: "payload" }, head, preview(name, value, type));
    Object.assign(row.dataset, { dataname: name, type, transport });
    item.append(row);
  });
  $("received").prepend(item);
}

function showError(e) {
  const what = e instanceof NatsBridgeError ? `${e.code}: ${e.message}` : String(e);
  $("received").prepend(el("li", { className: "msg error" }, what));
}

// ---- sending ----------------------------------------------------------------------------------

async function send(payloads, button) {
  button.disabled = true;
  try {
    await smartsend(subject, payloads, options);
  } catch (e) {
    showError(e);
  } finally {
    button.disabled = false;
  }
}

$("text-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("text").value;
  if (!text) return;
  await send([["message", text, "text"]], $("send-text"));
  $("text").value = "";
});

$("file-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("file").files?.[0];
  if (!file) return;
  let type = $("file-type").value;
  if (type === "auto") type = ["image", "audio", "video"].find((t) => file.type.startsWith(`${t}/`)) ?? "binary";
  await send([[file.name, new Uint8Array(await file.arrayBuffer()), type]], $("send-file"));
});

$("table-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const rows = [
    { city: "Oslo", temp_c: -3.5, sunny: false },
    { city: "Lisbon", temp_c: 17.25, sunny: true },
    { city: "Nairobi", temp_c: 24, sunny: true },
  ];
  await send(
    [
      ["summary", { cities: rows.length, warmest: "Nairobi", generated: new Date().toISOString() }, "dictionary"],
      ["weather", rows, "arrowtable"],
    ],
    $("send-table"),
  );
});

globalThis.exampleReady = true;
