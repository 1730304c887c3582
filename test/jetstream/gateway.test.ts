import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import { startObjectStoreGateway, type ObjectStoreGateway } from "../../src/fileserver.js";
import { createBridge, type Bridge } from "../../src/node.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { randomBytes, expectSameBytes } from "../helpers/bridge-env.js";

let nats: NatsServerHandle;
let nc1: NatsConnection;
let nc2: NatsConnection;
let gw1: ObjectStoreGateway;
let gw2: ObjectStoreGateway;
let bridge: Bridge;

beforeAll(async () => {
  nats = await startNatsServer({ newest: true });
  nc1 = await connect({ servers: nats.url });
  nc2 = await connect({ servers: nats.url });
  // Two gateway "processes" (own connections, own HTTP servers) over one bucket.
  gw1 = await startObjectStoreGateway({ connection: nc1, bucket: "gw" });
  gw2 = await startObjectStoreGateway({ connection: nc2, bucket: "gw" });
  bridge = createBridge({ nats_connection: nc1, size_threshold: 0 });
});
afterAll(async () => {
  await Promise.all([gw1?.close(), gw2?.close()]);
  await bridge?.close();
  await Promise.all([nc1?.close(), nc2?.close()]);
  await nats?.stop();
});

/** Plik's two-step upload, by hand. */
async function upload(base: string, bytes: Uint8Array, name: string, params: Record<string, unknown> = {}) {
  const created = (await (await fetch(`${base}/upload`, { method: "POST", body: JSON.stringify(params) })).json()) as { id: string; uploadToken: string };
  const form = new FormData();
  form.append("file", new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
  const res = await fetch(`${base}/file/${created.id}`, { method: "POST", headers: { "X-UploadToken": created.uploadToken }, body: form });
  const file = (await res.json()) as { id: string; fileSize: number };
  return { status: res.status, ...created, file, path: `/file/${created.id}/${file.id}/${encodeURIComponent(name)}` };
}

describe("Plik-compatible gateway over the Object Store", () => {
  it("carries natsbridge link payloads (one-shot: the second download is refused)", async () => {
    const bytes = randomBytes(700_000, 3);
    const [env] = await bridge.smartsend("gw.a", [["data.bin", bytes, "binary"], ["t", "hi", "text"]], { is_publish: false, fileserver_url: gw1.url });
    expect(env.payloads[0]!.data.startsWith(`${gw1.url}/file/`)).toBe(true);
    const got = await bridge.smartreceive(env, { fileserver_url: gw1.url });
    expectSameBytes(got.payloads[0]![1], bytes);
    const again = await bridge.smartreceive(env, { fileserver_url: gw1.url, max_retries: 1 }).catch((e) => e);
    expect(again.code).toBe("DOWNLOAD_FAILED");
  });

  it("serves a file uploaded through one gateway from another (shared bucket), to several readers", async () => {
    const bytes = randomBytes(300_000, 4);
    const up = await upload(gw1.url, bytes, "shared file.bin", { OneShot: false, TTL: 600 });
    expect(up.status).toBe(200);
    expect(up.file.fileSize).toBe(bytes.length);
    for (const base of [gw2.url, gw1.url, gw2.url]) {
      const res = await fetch(base + up.path);
      expect(res.status).toBe(200);
      expectSameBytes(new Uint8Array(await res.arrayBuffer()), bytes);
    }
  });

  it("answers HEAD with the size without spending a one-shot file", async () => {
    const up = await upload(gw2.url, randomBytes(1234, 5), "x.bin", { OneShot: true });
    const head = await fetch(gw1.url + up.path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("1234");
    expect((await fetch(gw1.url + up.path)).status).toBe(200);
    expect((await fetch(gw2.url + up.path)).status).toBe(404);
  });

  it("refuses a wrong token, an unknown upload, a wrong name and an expired upload", async () => {
    const created = (await (await fetch(`${gw1.url}/upload`, { method: "POST", body: "{}" })).json()) as { id: string };
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(3)]), "a");
    expect((await fetch(`${gw1.url}/file/${created.id}`, { method: "POST", headers: { "X-UploadToken": "nope" }, body: form })).status).toBe(403);
    expect((await fetch(`${gw1.url}/file/unknown-upload`, { method: "POST", headers: { "X-UploadToken": "x" }, body: form })).status).toBe(404);
    const up = await upload(gw1.url, new Uint8Array([1, 2, 3]), "right.bin", { OneShot: false });
    expect((await fetch(gw1.url + up.path.replace("right.bin", "wrong.bin"))).status).toBe(404);
    expect((await fetch(`${gw1.url}/file/${up.id}/../../etc/passwd`)).status).toBe(404);
    const short = await upload(gw1.url, new Uint8Array([4]), "short.bin", { OneShot: false, TTL: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(gw2.url + short.path)).status).toBe(404);
  });

  it("answers 400, as the dev file server does, to malformed file posts and stores nothing", async () => {
    const uploadsBefore = gw1.stats().uploads;
    const created = (await (await fetch(`${gw1.url}/upload`, { method: "POST", body: "{}" })).json()) as { id: string; uploadToken: string };
    const post = (boundary: string, body: string) =>
      fetch(`${gw1.url}/file/${created.id}`, {
        method: "POST",
        headers: { "X-UploadToken": created.uploadToken, "Content-Type": `multipart/form-data; boundary=${boundary}` },
        body,
      });
    const part = (b: string, name: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"; filename="a.bin"\r\n\r\nabc\r\n`;
    // RFC 2046 allows 1..70 boundary characters: the client's error, not the store's (was 503).
    const long = "b".repeat(71);
    const refused = [
      await post(long, `${part(long, "file")}--${long}--\r\n`),
      await post("b", `${part("b", "other")}--b--\r\n`),
      await post("b", part("b", "file")),
    ];
    expect(refused.map((r) => r.status)).toEqual([400, 400, 400]);
    const messages = await Promise.all(refused.map(async (r) => ((await r.json()) as { message: string }).message));
    expect(messages).toEqual(["invalid multipart boundary", "no multipart field named 'file'", "multipart body ended before its closing boundary"]);
    const os = await nc1.jetstream().views.os("gw");
    const names: string[] = [];
    for (const info of await os.list()) names.push(info.name);
    expect(names.filter((n) => n.startsWith(`file/${created.id}/`))).toEqual([]);
    expect(gw1.stats().uploads).toBe(uploadsBefore);
  });

  it("aborts a download whose chunks fail the store's digest check, never sending it as whole", async () => {
    const bytes = randomBytes(2000, 6);
    const up = await upload(gw1.url, bytes, "c.bin", { OneShot: false });
    const os = await nc1.jetstream().views.os("gw");
    const info = (await os.info(`file/${up.id}/${up.file.id}`))!;
    const chunks = `$O.gw.C.${info.nuid}`;
    await (await nc1.jetstreamManager()).streams.purge("OBJ_gw", { filter: chunks });
    const flipped = bytes.slice();
    flipped[7]! ^= 1;
    await nc1.jetstream().publish(chunks, flipped);
    const outcome = await fetch(gw2.url + up.path).then(
      (r) => r.arrayBuffer().then(() => "complete", () => "aborted"),
      () => "aborted",
    );
    expect(outcome).toBe("aborted");
  });
});
