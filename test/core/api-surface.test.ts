import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import type { Table } from "apache-arrow";
import { smartsend, smartreceive, setLogger, type ReceivedTuple, type SendTuple, type NatsConnectionLike } from "../../src/node.js";

describe("types: the payload type literal decides the data type", () => {
  it("accepts matching tuples and rejects mismatched ones at compile time", () => {
    expectTypeOf<["a", string, "text"]>().toMatchTypeOf<SendTuple>();
    expectTypeOf<["a", Uint8Array, "image"]>().toMatchTypeOf<SendTuple>();
    expectTypeOf<["a", Table, "arrowtable"]>().toMatchTypeOf<SendTuple>();
    expectTypeOf<["a", number, "text"]>().not.toMatchTypeOf<SendTuple>();
    expectTypeOf<["a", string, "binary"]>().not.toMatchTypeOf<SendTuple>();
    expectTypeOf<["a", string, "hologram"]>().not.toMatchTypeOf<SendTuple>();
    // A received tuple narrows by its third element.
    const t = null as unknown as ReceivedTuple;
    if (t && t[2] === "binary") expectTypeOf(t[1]).toEqualTypeOf<Uint8Array>();
    if (t && t[2] === "text") expectTypeOf(t[1]).toEqualTypeOf<string>();
    const compileOnly = () => {
      // @ts-expect-error a text payload takes a string
      void smartsend("s", [["x", 42, "text"]]);
      // @ts-expect-error bytes types take bytes
      void smartsend("s", [["x", "not bytes", "image"]]);
      // @ts-expect-error unknown payload types are rejected by the compiler too
      void smartsend("s", [["x", "y", "hologram"]]);
    };
    expect(typeof compileOnly).toBe("function");
  });

  it("takes any connection with publish (nats.js v2, nats.ws, @nats-io/*) structurally", async () => {
    const published: Array<[string, Uint8Array | undefined]> = [];
    const conn: NatsConnectionLike = { publish: (s, d) => void published.push([s, d]), info: { max_payload: 1 << 20 } };
    const [env] = await smartsend("structural", [["m", "hi", "text"]], { nats_connection: conn });
    expect(published).toHaveLength(1);
    expect(published[0]![0]).toBe("structural");
    expect(JSON.parse(new TextDecoder().decode(published[0]![1]!)).msg_id).toBe(env.msg_id);
  });
});

describe("logging", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is quiet by default: nothing on the console for a send and a receive", async () => {
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m));
    const [, json] = await smartsend("quiet", [["m", "hi", "text"]], { is_publish: false });
    await smartreceive(json);
    await smartreceive("{bad json").catch(() => undefined);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
  });

  it("traces in the seeds' format through a logger given as an option", async () => {
    const lines: string[] = [];
    const [, json] = await smartsend("traced", [["m", "hi", "text"]], { is_publish: false, correlation_id: "cid-42", log: (l) => lines.push(l) });
    await smartreceive(json, { log: (l) => lines.push(l) });
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const l of lines) expect(l).toMatch(/^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\] \[Correlation: cid-42\] /);
    expect(lines).toContainEqual(expect.stringContaining("Starting smartsend for subject: traced"));
    expect(lines).toContainEqual(expect.stringContaining("Serialized payload 'm' (type: text) size: 2 bytes"));
    expect(lines).toContainEqual(expect.stringContaining("Direct transport - decoding payload 'm'"));
  });

  it("log: true goes to the sink set with setLogger", async () => {
    const lines: string[] = [];
    setLogger((l) => lines.push(l));
    try {
      await smartsend("traced", [["m", "hi", "text"]], { is_publish: false, log: true });
    } finally {
      setLogger((l) => console.log(l));
    }
    expect(lines.some((l) => l.includes("Starting smartsend"))).toBe(true);
  });
});

describe("NATSBRIDGE_LOG", () => {
  const run = async (env: Record<string, string>) => {
    const { execFile } = await import("node:child_process");
    return new Promise<string>((resolve, reject) =>
      execFile("npx", ["tsx", "test/fixtures/log-env.ts"], { env: { ...process.env, ...env }, timeout: 30_000 }, (e, out) => (e ? reject(e) : resolve(out))),
    );
  };
  it("switches tracing on from the environment, and its absence keeps the process silent", async () => {
    const on = await run({ NATSBRIDGE_LOG: "1" });
    expect(on).toMatch(/\[Correlation: env-cid\] Starting smartsend for subject: env\.logged/);
    const off = await run({ NATSBRIDGE_LOG: "" });
    expect(off).toBe("");
  }, 60_000);
});

describe("environment defaults (issue 11: the seeds' NATS_URL, FILESERVER_URL, SIZE_THRESHOLD)", () => {
  const run = async (env: Record<string, string>) => {
    const { execFile } = await import("node:child_process");
    return new Promise<string>((resolve, reject) =>
      execFile("npx", ["tsx", "test/fixtures/env-defaults.ts"], { env: { ...process.env, ...env }, timeout: 30_000 }, (e, out) => (e ? reject(e) : resolve(out))),
    );
  };
  it("are the library's defaults too; a call's options still win", async () => {
    const got = JSON.parse(await run({ NATS_URL: "nats://broker.example:4222", FILESERVER_URL: "http://files.example:9000", SIZE_THRESHOLD: "100" }));
    expect(got.broker_url).toBe("nats://broker.example:4222");
    expect(got.transports).toEqual(["direct", "link"]);
    expect(got.uploaded_to).toEqual(["http://files.example:9000"]);
    expect(got.code).toBe("ok");
  }, 60_000);
  it("a SIZE_THRESHOLD that is not a number is an option error at the first send, not a guess", async () => {
    const got = JSON.parse(await run({ SIZE_THRESHOLD: "lots" }));
    expect(got.code).toBe("INVALID_OPTIONS");
  }, 60_000);
});
