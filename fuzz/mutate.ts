/**
 * Mutations of valid envelopes, each a way a peer or an attacker could deviate: byte flips,
 * truncation, field deletion and type swaps, bad base64, size mismatches, `__proto__` keys, deep
 * nesting, junk and internal URLs (all on loopback: a fetch that should not happen lands on the
 * runner's trap server and is counted), and Arrow byte mutations inside a valid envelope.
 */
export type Rng = () => number;

/** xorshift32: the same seed gives the same inputs on every machine. */
export function rng(seed: number): Rng {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const JUNK: unknown[] = [null, 0, -1, 1.5, 2 ** 53 + 2, "", "x", true, [], {}, [1, "a"], { a: { b: 1 } }, "A".repeat(300)];

function nest(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** URLs a receiver must not fetch: other loopback ports and spellings of loopback. */
export function trapUrls(trapPort: number): string[] {
  return [
    `http://127.0.0.1:${trapPort}/admin/secret`,
    `http://localhost:${trapPort}/admin/purge-cache`,
    `http://[::1]:${trapPort}/x`,
    `http://[::ffff:7f00:1]:${trapPort}/x`,
    `http://[::ffff:127.0.0.1]:${trapPort}/x`,
    `http://127.1:${trapPort}/x`,
    `http://2130706433:${trapPort}/x`,
    `http://0x7f.0.0.1:${trapPort}/x`,
    `http://127.0.0.1:${trapPort}@127.0.0.1:${trapPort}/x`,
  ];
}

const JUNK_URLS = ["", "not a url", "file:///etc/passwd", "data:text/plain,hi", "javascript:alert(1)", "ftp://127.0.0.1/x", "http://", "http://[::1", "https://%00/"];

type Structural = (env: any, r: Rng, ctx: { trapPort: number; fileserver: string }) => void;

const structural: Structural[] = [
  (e, r) => delete e[pick(r, Object.keys(e))],
  (e, r) => (e[pick(r, Object.keys(e))] = pick(r, JUNK)),
  (e, r) => e.payloads?.length && delete e.payloads[int(r, e.payloads.length)][pick(r, ["id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata"])],
  (e, r) => e.payloads?.length && (e.payloads[int(r, e.payloads.length)][pick(r, ["id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata"])] = pick(r, JUNK)),
  (e, r) => e.payloads?.length && (e.payloads[int(r, e.payloads.length)].size += pick(r, [-1, 1, 1000, -1000, 2 ** 31, 2 ** 40])),
  (e, r) => {
    const p = e.payloads?.[int(r, e.payloads?.length ?? 0)];
    if (p?.transport === "direct" && typeof p.data === "string") {
      const at = int(r, p.data.length + 1);
      p.data = p.data.slice(0, at) + pick(r, ["!", "-", "_", "=", "==", "\t", "\r", "\n", " ", "\u00e9", "\\", "A", "AA", "AAA"]) + p.data.slice(at);
    }
  },
  (e, r) => {
    const p = e.payloads?.[int(r, e.payloads?.length ?? 0)];
    if (p?.transport === "direct" && typeof p.data === "string") p.data = p.data.slice(0, int(r, p.data.length));
  },
  (e) => (e.metadata = JSON.parse('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}')),
  (e, r, c) => e.payloads?.length && Object.assign(e.payloads[int(r, e.payloads.length)], { transport: "link", encoding: "none", data: pick(r, [...trapUrls(c.trapPort), ...JUNK_URLS]) }),
  (e, r, c) => e.payloads?.length && Object.assign(e.payloads[int(r, e.payloads.length)], { transport: "link", encoding: "none", data: `${c.fileserver}/file/${pick(r, ["x/y/z", "../../etc/passwd", "%2e%2e/%2e%2e", "a".repeat(5000)])}`, size: pick(r, [undefined, 5, 2 ** 40]) }),
  (e) => {
    if (!Array.isArray(e.payloads) || e.payloads.length === 0) return;
    const p = e.payloads[0];
    e.payloads = Array.from({ length: 200 }, () => ({ ...p }));
  },
  (e, r) => e.payloads?.length && (e.payloads[int(r, e.payloads.length)].payload_type = pick(r, ["table", "hologram", "__proto__", "constructor", "toString", "TEXT"])),
  (e, r) => e.payloads?.length && (e.payloads[int(r, e.payloads.length)].transport = pick(r, ["Direct", "LINK", "stream", "__proto__", ""])),
];

/** A JSON text mutation: structure, then serialize (with textual extras: nesting, big numbers). */
function structuralMutation(text: string, r: Rng, ctx: { trapPort: number; fileserver: string }): string {
  const env = JSON.parse(text);
  for (let k = 1 + int(r, 2); k > 0; k--) pick(r, structural)(env, r, ctx);
  let out = JSON.stringify(env);
  const extra = int(r, 8);
  if (extra === 0) out = out.replace('"metadata":', `"deep":${nest(pick(r, [100, 1000, 7000, 20000]))},"metadata":`);
  if (extra === 1) out = out.replace('"metadata":', `"big":${"9".repeat(pick(r, [17, 400, 5000]))},"metadata":`);
  if (extra === 2) out = out.replace(/"metadata":\{/, '"metadata":{"__proto__":{"polluted":true},');
  return out;
}

/** Arrow IPC bytes changed inside an otherwise valid envelope (size kept right, so they reach the reader). */
function arrowMutation(text: string, r: Rng): string | null {
  const env = JSON.parse(text);
  const p = env.payloads?.find((x: any) => x.payload_type === "arrowtable" && x.transport === "direct");
  if (!p) return null;
  let b = Buffer.from(p.data, "base64");
  const kind = int(r, 4);
  const at = int(r, b.length);
  if (kind === 0) b[at] ^= 1 << int(r, 8);
  else if (kind === 1) b[at] = int(r, 256);
  else if (kind === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from([int(r, 256)]), b.subarray(at)]);
  else b = b.subarray(0, at);
  p.data = b.toString("base64");
  p.size = b.length;
  return JSON.stringify(env);
}

/** Raw text damage: what a broken or hostile sender puts on the wire. */
function textMutation(text: string, r: Rng): string {
  const at = int(r, text.length);
  switch (int(r, 5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + String.fromCharCode(int(r, 128)) + text.slice(at + 1);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + int(r, 20));
    case 3:
      return text.slice(0, at) + pick(r, ['"', "{", "}", "[", ",", ":", "\\", "\\u0000", "\u0000", "\ud800"]) + text.slice(at);
    default:
      return text + pick(r, ["", " ", "x", "}", "\n"]);
  }
}

export function mutate(seeds: readonly string[], r: Rng, ctx: { trapPort: number; fileserver: string }): string {
  const base = pick(r, seeds);
  const kind = int(r, 10);
  try {
    if (kind < 5) return structuralMutation(base, r, ctx);
    if (kind < 7) return arrowMutation(base, r) ?? structuralMutation(base, r, ctx);
  } catch {
    // a seed that is not JSON (a reject vector): damage its text instead
  }
  return textMutation(base, r);
}
