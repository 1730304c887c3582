/**
 * smartrequest / smartreply (src/core/request.ts) against a real nats-server and the dev file
 * server: answers with payloads, the seeds' error-response envelope, no responders, timeouts, and
 * requests whose reply_to must not be published to.
 */
import type { Msg, NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBridgeError, smartreceive, smartreply, smartrequest, smartsend, type ReceivedEnvelope } from "../../src/node.js";
import { collect, expectSameBytes, randomBytes, startBridgeEnv, uniqueSubject, type BridgeEnv } from "../helpers/bridge-env.js";

let env: BridgeEnv;
beforeAll(async () => {
  env = await startBridgeEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** A responder on `subject` that hands every received request to `answer`; resolves once the server has the subscription. */
async function respond(nc: NatsConnection, subject: string, answer: (req: ReceivedEnvelope, msg: Msg) => Promise<unknown>) {
  const requests: ReceivedEnvelope[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, msg) =>
      void smartreceive(msg, { fileserver_url: env.files.url }).then((req) => {
        requests.push(req);
        return answer(req, msg);
      }),
  });
  await nc.flush();
  return { requests, stop: () => sub.unsubscribe() };
}

const opts = () => ({ broker_url: env.nats.url, fileserver_url: env.files.url });

async function rejection(p: Promise<unknown>): Promise<NatsBridgeError> {
  const e = await p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NatsBridgeError);
  return e as NatsBridgeError;
}

describe("smartrequest → smartreply", () => {
  it("answers with payloads on the request's reply_to, same correlation_id, reply_to_msg_id = the request's msg_id", async () => {
    const subject = uniqueSubject("req");
    const r = await respond(env.nc, subject, (req) => {
      const [, cmd] = req.payloads[0]!;
      return smartreply(req, [["data", { echo: cmd, sensor: 42.5 }, "dictionary"]], opts());
    });
    const reply = await smartrequest(subject, [["command", { action: "read_sensor" }, "dictionary"]], { ...opts(), correlation_id: "cid-req-1" });
    r.stop();
    const req = r.requests[0]!;
    expect(req.reply_to).toMatch(/^_INBOX\.[0-9a-f]{32}$/);
    expect(reply.correlation_id).toBe("cid-req-1");
    expect(req.correlation_id).toBe("cid-req-1");
    expect(reply.reply_to_msg_id).toBe(req.msg_id);
    expect(reply.send_to).toBe(req.reply_to);
    expect(reply.payloads).toEqual([["data", { echo: { action: "read_sensor" }, sensor: 42.5 }, "dictionary"]]);
  });

  it("carries link payloads both ways through the file server", async () => {
    const subject = uniqueSubject("req.link");
    const big = randomBytes(300_000, 7);
    const r = await respond(env.nc, subject, (req) => smartreply(req, [["back", req.payloads[0]![1] as Uint8Array, "binary"]], { ...opts(), size_threshold: 1 }));
    const reply = await smartrequest(subject, [["blob", big, "binary"]], { ...opts(), size_threshold: 1 });
    r.stop();
    expect(env.files.stats().uploads).toBeGreaterThanOrEqual(2);
    expect(reply.payloads[0]![0]).toBe("back");
    expectSameBytes(reply.payloads[0]![1], big);
  });

  it("takes a seeds-style answer: a plain smartsend to env.reply_to", async () => {
    const subject = uniqueSubject("req.seed");
    const r = await respond(env.nc, subject, (req) => smartsend(req.reply_to, [["data", "pong", "text"]], opts()));
    const reply = await smartrequest(subject, [["m", "ping", "text"]], opts());
    r.stop();
    expect(reply.payloads).toEqual([["data", "pong", "text"]]);
  });

  it("takes a NATS-style answer on msg.reply (the request is published with the inbox as its reply subject)", async () => {
    const subject = uniqueSubject("req.nats");
    const r = await respond(env.nc, subject, async (req, msg) => {
      const [, json] = await smartsend(msg.reply!, [["data", `re: ${req.payloads[0]![1]}`, "text"]], { ...opts(), is_publish: false });
      msg.respond(new TextEncoder().encode(json));
    });
    const reply = await smartrequest(subject, [["m", "ping", "text"]], opts());
    r.stop();
    expect(reply.payloads).toEqual([["data", "re: ping", "text"]]);
  });

  it("leaves no timer behind once answered (a pending timeout would keep a script alive)", async () => {
    const subject = uniqueSubject("req.timer");
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const r = await respond(env.nc, subject, (req) => smartreply(req, [], { nats_connection: env.nc }));
    const before = timers();
    await smartrequest(subject, [], { nats_connection: env.nc, timeout_ms: 3_600_000 });
    r.stop();
    expect(timers()).toBe(before);
  });

  it("works on a connection passed in (nats_connection)", async () => {
    const subject = uniqueSubject("req.conn");
    const r = await respond(env.nc, subject, (req) => smartreply(req, [["ok", true, "dictionary"]], { nats_connection: env.nc }));
    const reply = await smartrequest(subject, [["m", "x", "text"]], { nats_connection: env.nc });
    r.stop();
    expect(reply.payloads).toEqual([["ok", true, "dictionary"]]);
  });
});

describe("errors a requester can branch on", () => {
  it("NO_RESPONDERS when nobody subscribes to the subject", async () => {
    const e = await rejection(smartrequest(uniqueSubject("nobody"), [["m", "x", "text"]], { ...opts(), correlation_id: "cid-nr" }));
    expect(e.code).toBe("NO_RESPONDERS");
    expect(e.correlation_id).toBe("cid-nr");
  });

  it("REQUEST_TIMEOUT when a subscriber never answers", async () => {
    const subject = uniqueSubject("silent");
    const r = await respond(env.nc, subject, async () => undefined);
    const e = await rejection(smartrequest(subject, [["m", "x", "text"]], { ...opts(), timeout_ms: 300 }));
    r.stop();
    expect(e.code).toBe("REQUEST_TIMEOUT");
    expect(e.details).toMatchObject({ subject, timeout_ms: 300 });
    expect(r.requests).toHaveLength(1);
  });

  it("REMOTE_ERROR with the responder's code, message and details, from smartreply(request, error)", async () => {
    const subject = uniqueSubject("fails");
    const raw = await collect(env.nc, "_INBOX.>");
    const r = await respond(env.nc, subject, (req) =>
      smartreply(req, new NatsBridgeError("DOWNLOAD_FAILED", "Failed to fetch data after 5 attempts", { details: { url: "http://x/f" }, correlation_id: req.correlation_id }), opts()),
    );
    const e = await rejection(smartrequest(subject, [["m", "x", "text"]], { ...opts(), correlation_id: "cid-remote" }));
    // The collector is on another connection: its copy is delivered before the answer to this flush.
    await env.nc.flush();
    r.stop();
    raw.stop();
    expect(e.code).toBe("REMOTE_ERROR");
    expect(e.correlation_id).toBe("cid-remote");
    expect(e.message).toContain("DOWNLOAD_FAILED");
    expect(e.details!.remote).toEqual({ code: "DOWNLOAD_FAILED", message: "Failed to fetch data after 5 attempts", details: { url: "http://x/f", correlation_id: "cid-remote" } });
    // On the wire: a normal envelope (every field, no payloads) with `error` last, as in the seeds.
    const wire = JSON.parse(new TextDecoder().decode(raw.messages.at(-1)!.data));
    expect(Object.keys(wire)).toEqual([
      "correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id",
      "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url", "metadata", "payloads", "error",
    ]);
    expect(wire.payloads).toEqual([]);
    expect(wire.reply_to_msg_id).toBe(r.requests[0]!.msg_id);
    expect(wire.error.code).toBe("DOWNLOAD_FAILED");
  });

  it("smartreply returns the error envelope and its JSON; plain Errors and spelled-out members work too", async () => {
    const subject = uniqueSubject("fails2");
    const sent: unknown[] = [];
    let n = 0;
    const r = await respond(env.nc, subject, async (req) => {
      const answer = n++ === 0 ? new TypeError("boom") : { code: "APP_BUSY", message: "try later", details: { retry_after: 5n } };
      const [wenv, json] = await smartreply(req, answer, opts());
      sent.push([wenv, JSON.parse(json)]);
    });
    const e1 = await rejection(smartrequest(subject, [["m", "x", "text"]], opts()));
    const e2 = await rejection(smartrequest(subject, [["m", "y", "text"]], opts()));
    r.stop();
    expect(e1.details!.remote).toEqual({ code: "RESPONDER_ERROR", message: "boom", details: {} });
    // Integers beyond what a double holds would stay exact; 5n is a plain integer on the wire.
    expect(e2.details!.remote).toEqual({ code: "APP_BUSY", message: "try later", details: { retry_after: 5 } });
    const [wenv, parsed] = sent[1] as [Record<string, unknown>, Record<string, unknown>];
    expect(wenv.error).toEqual({ code: "APP_BUSY", message: "try later", details: { retry_after: 5n } });
    expect(parsed.error).toEqual({ code: "APP_BUSY", message: "try later", details: { retry_after: 5 } });
  });

  /** Publish `body` as the answer to whatever request arrives on a fresh subject; returns smartrequest's outcome. */
  async function answeredWith(body: (req: ReceivedEnvelope) => string) {
    const subject = uniqueSubject("raw");
    const r = await respond(env.nc, subject, async (req) => env.nc.publish(req.reply_to, new TextEncoder().encode(body(req))));
    try {
      return await smartrequest(subject, [["m", "x", "text"]], opts());
    } finally {
      r.stop();
    }
  }

  it("reads the seeds' short error form (no payloads) and a key spelled with escapes", async () => {
    const short = (req: ReceivedEnvelope) =>
      JSON.stringify({ correlation_id: req.correlation_id, msg_id: "m1", timestamp: "2026-03-13T07:02:50.443Z", send_to: req.reply_to, error: { code: "DOWNLOAD_FAILED", message: "gone", details: { id: 12345678901234567890n.toString() } } });
    const e = await rejection(answeredWith(short));
    expect(e.code).toBe("REMOTE_ERROR");
    expect(e.details!.remote).toMatchObject({ code: "DOWNLOAD_FAILED", message: "gone" });
    const escaped = (req: ReceivedEnvelope) => `{"correlation_id":"${req.correlation_id}","msg_id":"m","timestamp":"2026-03-13T07:02:50Z","send_to":"x","payloads":[],"\\u0065rror":{"code":"E1","message":"m"}}`;
    expect((await rejection(answeredWith(escaped))).details!.remote).toEqual({ code: "E1", message: "m", details: {} });
    const bigint = (req: ReceivedEnvelope) => `{"correlation_id":"${req.correlation_id}","msg_id":"m","timestamp":"t","send_to":"x","error":{"code":"E2","details":{"n":9007199254740993}}}`;
    expect((await rejection(answeredWith(bigint))).details!.remote).toEqual({ code: "E2", message: "", details: { n: 9007199254740993n } });
  });

  it("a malformed error member is INVALID_ENVELOPE, never a success; `error: null` is no error", async () => {
    const base = (req: ReceivedEnvelope, error: string) =>
      `{"correlation_id":"${req.correlation_id}","msg_id":"m","timestamp":"2026-03-13T07:02:50Z","send_to":"x","payloads":[],"error":${error}}`;
    for (const bad of ['"oops"', "{}", '{"code":""}', '{"code":5}', '{"code":"X","message":7}', '{"code":"X","details":[1]}', "[]"]) {
      expect((await rejection(answeredWith((req) => base(req, bad)))).code, bad).toBe("INVALID_ENVELOPE");
    }
    const ok = await answeredWith((req) => base(req, "null"));
    expect(ok.payloads).toEqual([]);
  });

  it("a text payload that merely mentions \"error\" is an ordinary answer", async () => {
    const subject = uniqueSubject("mention");
    const r = await respond(env.nc, subject, (req) => smartreply(req, [["error", '{"error": {"code": "X"}}', "text"]], opts()));
    const reply = await smartrequest(subject, [["m", "x", "text"]], opts());
    r.stop();
    expect(reply.payloads).toEqual([["error", '{"error": {"code": "X"}}', "text"]]);
  });

  it("an answer that is not an envelope is smartreceive's error", async () => {
    expect((await rejection(answeredWith(() => "not json"))).code).toBe("INVALID_ENVELOPE");
  });
});

describe("bad requests and options", () => {
  const request = (reply_to: unknown) => ({ correlation_id: "c", msg_id: "m", reply_to }) as never;

  it("smartreply refuses a request without reply_to, or whose reply_to is a wildcard or not a subject, and publishes nothing", async () => {
    const all = await collect(env.nc, ">");
    expect((await rejection(smartreply(request(""), [["a", "b", "text"]], opts()))).code).toBe("INVALID_OPTIONS");
    for (const bad of ["*", ">", "a.*", "a.>", "a..b", "a b", ".a", "a."]) {
      expect((await rejection(smartreply(request(bad), [["a", "b", "text"]], opts()))).code, bad).toBe("INVALID_ENVELOPE");
      expect((await rejection(smartreply(request(bad), { code: "X" }, opts()))).code, bad).toBe("INVALID_ENVELOPE");
    }
    expect((await rejection(smartreply(request(7), [], opts()))).code).toBe("INVALID_OPTIONS");
    expect((await rejection(smartreply(null as never, [], opts()))).code).toBe("INVALID_OPTIONS");
    await env.nc.flush();
    all.stop();
    expect(all.messages).toHaveLength(0);
  });

  it("smartreply refuses an error without a code, and details that are not JSON", async () => {
    expect((await rejection(smartreply(request("r.1"), { code: "" }, opts()))).code).toBe("INVALID_OPTIONS");
    expect((await rejection(smartreply(request("r.1"), "boom" as never, opts()))).code).toBe("INVALID_OPTIONS");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await rejection(smartreply(request("r.1"), { code: "X", details: cyclic }, opts()))).code).toBe("SERIALIZATION_ERROR");
  });

  it("an error answer too large for the server's max_payload is ENVELOPE_TOO_LARGE, not a dropped connection", async () => {
    const all = await collect(env.nc, "r.big");
    const e = await rejection(smartreply(request("r.big"), { code: "X", details: { blob: "x".repeat(1_100_000) } }, opts()));
    expect(e.code).toBe("ENVELOPE_TOO_LARGE");
    // The cached connection still works.
    await smartreply(request("r.big"), { code: "X" }, opts());
    await env.nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    all.stop();
    expect(all.messages.map((m) => JSON.parse(new TextDecoder().decode(m.data)).error.code)).toEqual(["X"]);
  });

  it("smartrequest checks its options before sending anything", async () => {
    for (const timeout_ms of [0, -1, Number.NaN, 2 ** 31, "5" as never]) {
      expect((await rejection(smartrequest("s", [], { ...opts(), timeout_ms }))).code).toBe("INVALID_OPTIONS");
    }
    for (const inbox_prefix of ["", "a b", "_INBOX.*", ">"]) {
      expect((await rejection(smartrequest("s", [], { ...opts(), inbox_prefix }))).code).toBe("INVALID_OPTIONS");
    }
    const publishOnly = { publish: () => undefined };
    expect((await rejection(smartrequest("s", [], { nats_connection: publishOnly }))).code).toBe("INVALID_OPTIONS");
  });

  it("a custom inbox_prefix is used for reply_to", async () => {
    const subject = uniqueSubject("prefix");
    const r = await respond(env.nc, subject, (req) => smartreply(req, [], opts()));
    await smartrequest(subject, [], { ...opts(), inbox_prefix: "replies.me" });
    r.stop();
    expect(r.requests[0]!.reply_to).toMatch(/^replies\.me\.[0-9a-f]{32}$/);
  });

  it("an unreachable broker is NATS_CONNECTION_FAILED", async () => {
    const e = await rejection(smartrequest("s", [], { broker_url: "nats://127.0.0.1:1", fileserver_url: env.files.url }));
    expect(e.code).toBe("NATS_CONNECTION_FAILED");
  });
});
