/**
 * Is a URL's host an address that is not on the public internet (loopback, private, link-local,
 * unspecified, multicast, reserved, or an IPv6 form that embeds such an IPv4 address)?
 *
 * It judges the host as the WHATWG URL parser leaves it: IPv4 in every spelling (`127.1`,
 * `0x7f000001`, `2130706433`) is already dotted-quad there, IPv6 is bracketed and compressed
 * (`[::ffff:7f00:1]`). Names are not resolved (the browser cannot, and a name can resolve
 * differently at fetch time), so only `localhost` and `*.localhost` (RFC 6761) count as names of
 * non-public hosts; the origin allow list is what keeps other names in check.
 */
export function isNonPublicHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "" || host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.startsWith("[")) {
    const groups = parseIpv6(host.slice(1, -1));
    return groups === null || nonPublicIpv6(groups);
  }
  const v4 = parseIpv4(host);
  return v4 !== null && nonPublicIpv4(v4);
}

/** `a.b.c.d` → 32-bit number, or null for anything else (a name). */
function parseIpv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** IPv4 ranges that are not public unicast (RFC 6890 special-purpose registry, multicast, reserved). */
const V4_BLOCKS: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

const V4_MASKS = V4_BLOCKS.map(([net, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [(parseIpv4(net)! & mask) >>> 0, mask] as const;
});

function nonPublicIpv4(addr: number): boolean {
  return V4_MASKS.some(([net, mask]) => ((addr & mask) >>> 0) === net);
}

/** Eight 16-bit groups, or null when the text is not an IPv6 address. */
function parseIpv6(text: string): number[] | null {
  let s = text;
  let tail: number[] = [];
  // A dotted IPv4 tail (`::ffff:127.0.0.1`); the URL parser writes hex, other callers may not.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (dotted) {
    const v4 = parseIpv4(dotted[2]!);
    if (v4 === null) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    s = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const hex = (part: string) => (part === "" ? [] : part.split(":"));
  const head = hex(halves[0]!);
  const rest = halves.length === 2 ? hex(halves[1]!) : [];
  const words = [...head, ...rest].map((w) => (/^[0-9a-f]{1,4}$/i.test(w) ? parseInt(w, 16) : NaN));
  if (words.some(Number.isNaN)) return null;
  const missing = 8 - words.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const zeros = new Array<number>(halves.length === 2 ? missing : 0).fill(0);
  return [...words.slice(0, head.length), ...zeros, ...words.slice(head.length), ...tail];
}

const embeddedV4 = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;

function nonPublicIpv6(g: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible form; ::ffff:0:0/96 the IPv4-mapped form,
  // which connects to the IPv4 address it carries.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0xffff) return nonPublicIpv4(embeddedV4(g6, g7));
    if (g5 === 0) return true;
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return nonPublicIpv4(embeddedV4(g6, g7)); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true; // local-use NAT64
  if (g0 === 0x2002) return nonPublicIpv4(embeddedV4(g1, g2)); // 6to4 embeds an IPv4 address
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo: the client address is hidden inside
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local (deprecated) fec0::/10
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}
