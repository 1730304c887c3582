/**
 * The `natsbridge` executable as published: a private tsup build of the package (bin from
 * package.json, shebang, dependencies resolved like an installed package) run as child processes
 * against a real nats-server and the dev file server.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackage } from "../browser/build-package.js";
import { binPath, runCli, startCli, type CliRun } from "../helpers/cli-process.js";
import { startTestFileServer, plikUpload, type FileServer } from "../helpers/fileserver.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { randomBytes, uniqueSubject } from "../helpers/bridge-env.js";

let pkg: Awaited<ReturnType<typeof buildPackage>>;
let bin: string;
let nats: NatsServerHandle;
let files: FileServer;
let work: string;
let nc: NatsConnection;

beforeAll(async () => {
  [pkg, nats, files, work] = await Promise.all([buildPackage(), startNatsServer(), startTestFileServer(), mkdtemp(join(tmpdir(), "natsbridge-cli-"))]);
  bin = await binPath(pkg.pkgDir);
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await files?.close();
  await nats?.stop();
  await pkg?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The seeds' variable names point the CLI at the test servers; flags override them. */
const env = (): Record<string, string | undefined> => ({ NATS_URL: nats.url, FILESERVER_URL: files.url, SIZE_THRESHOLD: undefined, NATSBRIDGE_LOG: undefined });
const cli = (...args: string[]) => runCli(["node", bin, ...args], env(), work);
const cliStart = (...args: string[]) => startCli(["node", bin, ...args], env(), work);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function expectExit(r: CliRun, code: number, ...stderr: RegExp[]) {
  expect(r.code, `exit code; stderr:\n${r.stderr}\nstdout:\n${r.stdout}`).toBe(code);
  for (const re of stderr) expect(r.stderr).toMatch(re);
}

describe("the executable", () => {
  it("runs from the bin entry itself (shebang, executable bit) and prints its version", async () => {
    const r = await runCli([bin, "--version"], env(), work);
    expectExit(r, 0);
    expect(r.stdout.trim()).toBe(JSON.parse(await readFile(join(pkg.pkgDir, "package.json"), "utf8")).version);
  });

  it("has --help for every command", async () => {
    const top = await cli("--help");
    expectExit(top, 0);
    expect(top.stdout).toMatch(/Exit codes:/);
    expect(top.stdout).toMatch(/NATS_URL/);
    for (const command of ["send", "listen", "request", "reply", "fileserver"]) {
      const r = await cli(command, "--help");
      expectExit(r, 0);
      expect(r.stdout).toContain(`Usage: natsbridge ${command}`);
    }
    expect((await cli("send", "--help")).stdout).toMatch(/name=@<json>/);
    expect((await cli("listen", "--help")).stdout).toMatch(/--save <dir>/);
  });
});

describe("send → listen", () => {
  it("sends a file (by link) and JSON values; listen --save writes them, --json describes them", async () => {
    const subject = uniqueSubject("cli.send");
    const saveDir = await mkdtemp(join(work, "saved-"));
    const photo = randomBytes(50_000, 3);
    await writeFile(join(work, "photo.png"), photo);
    const listener = cliStart("listen", subject, "--count", "1", "--json", "--save", saveDir);
    await listener.line(/^listening on /);
    const sent = await cli("send", subject, "photo.png=photo.png", 'config=@{"a":1,"big":9007199254740993}', "note=hello there", "--size-threshold", "10000");
    expectExit(sent, 0);
    const msg_id = sent.stdout.trim();
    expect(msg_id).toMatch(UUID);

    const heard = await listener.done;
    expectExit(heard, 0);
    const line = JSON.parse(heard.stdout.trim().split("\n").at(-1)!);
    expect(line.msg_id).toBe(msg_id);
    expect(line.subject).toBe(subject);
    expect(line.payloads.map((p: Record<string, unknown>) => [p.dataname, p.payload_type, p.transport, p.size])).toEqual([
      ["photo.png", "image", "link", 50_000],
      ["config", "dictionary", "direct", 30],
      ["note", "text", "direct", 11],
    ]);
    // The linked file went from the download straight to disk (smartreceive's as: "stream").
    expect(line.payloads[0].preview).toBe("(streamed)");
    expect((await readdir(saveDir)).sort()).toEqual(["config.json", "note.txt", "photo.png"]);
    expect(Buffer.from(await readFile(join(saveDir, "photo.png"))).equals(Buffer.from(photo))).toBe(true);
    // The big integer stays exact on its way through the CLI.
    expect(await readFile(join(saveDir, "config.json"), "utf8")).toBe('{"a":1,"big":9007199254740993}');
    expect(await readFile(join(saveDir, "note.txt"), "utf8")).toBe("hello there");
  });

  it("prints one line per payload for people, and never overwrites saved files", async () => {
    const subject = uniqueSubject("cli.lines");
    const saveDir = await mkdtemp(join(work, "saved-"));
    await writeFile(join(saveDir, "note.txt"), "already here");
    const listener = cliStart("listen", subject, "-n", "1", "--save", saveDir);
    await listener.line(/^listening on /);
    expectExit(await cli("send", subject, "note=hi", "rows=@[{\"x\":1},{\"x\":2}]:jsontable", "--sender-name", "tester"), 0);
    const heard = await listener.done;
    expectExit(heard, 0);
    const out = heard.stdout.split("\n");
    expect(out[0]).toMatch(new RegExp(`^tester → ${subject.replaceAll(".", "\\.")}  msg_id=`));
    expect(out[1]).toBe(`  note  text  direct  2 B  "hi"  → ${join(saveDir, "note-1.txt")}`);
    expect(out[2]).toMatch(/^ {2}rows {2}jsontable {2}direct {2}17 B {2}2 rows \[\{"x":1\},\{"x":2\}\]/);
    expect(await readFile(join(saveDir, "note.txt"), "utf8")).toBe("already here");
  });

  it("listen decodes a MicroPython-style envelope and keeps a hostile peer's names off the terminal and out of other directories", async () => {
    const subject = uniqueSubject("cli.peer");
    const saveDir = await mkdtemp(join(work, "saved-"));
    const listener = cliStart("listen", subject, "-n", "1", "--save", saveDir);
    await listener.line(/^listening on /);
    // As natsbridge_mpy writes it: seconds-precision timestamp, no payload metadata, base64 with a newline.
    const mpy = {
      correlation_id: "mpy-1", msg_id: "m-1", timestamp: "2026-03-13T07:02:50Z", send_to: subject, msg_purpose: "chat",
      sender_name: "esp32\u001b[2J\u202e", sender_id: "s", receiver_name: "", receiver_id: "", reply_to: "", reply_to_msg_id: "", broker_url: "",
      payloads: [{ id: "p", dataname: "../../escape\u001b]0;pwned\u0007", payload_type: "text", transport: "direct", encoding: "base64", size: 5, data: "aGVsbG8=\n" }],
    };
    nc.publish(subject, new TextEncoder().encode(JSON.stringify(mpy)));
    const heard = await listener.done;
    expectExit(heard, 0);
    expect(heard.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(heard.stdout).toContain("esp32\\x1b[2J\\u202e → ");
    expect(heard.stdout).toContain('"hello"');
    expect(await readdir(saveDir)).toEqual(["_.._escape_]0;pwned_.txt"]);
  });

  it("a streamed file whose SHA-256 does not match is removed, and listen exits 4 with INTEGRITY_ERROR", async () => {
    const subject = uniqueSubject("cli.sha");
    const saveDir = await mkdtemp(join(work, "saved-"));
    const up = await plikUpload(files.url, randomBytes(300_000, 6), "blob.bin");
    const listener = cliStart("listen", subject, "-n", "1", "--save", saveDir);
    await listener.line(/^listening on /);
    const env = {
      correlation_id: "c-sha", msg_id: "m-sha", timestamp: "2026-03-13T07:02:50.443Z", send_to: subject, payloads: [
        { id: "p", dataname: "blob.bin", payload_type: "binary", transport: "link", encoding: "none", size: 300_000, data: up.downloadUrl, metadata: { sha256: "0".repeat(64) } },
      ],
    };
    nc.publish(subject, new TextEncoder().encode(JSON.stringify(env)));
    expectExit(await listener.done, 4, /INTEGRITY_ERROR/);
    expect(await readdir(saveDir)).toEqual([]);
  });

  it("keeps listening after a bad message, reports it, and exits with its code", async () => {
    const subject = uniqueSubject("cli.bad");
    const listener = cliStart("listen", subject, "-n", "2", "--json");
    await listener.line(/^listening on /);
    nc.publish(subject, new TextEncoder().encode("{not json"));
    expectExit(await cli("send", subject, "m=fine"), 0);
    const heard = await listener.done;
    expectExit(heard, 8, /INVALID_ENVELOPE/, /hint: the message is not a NATSBridge envelope/);
    const [bad, good] = heard.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(bad.error.code).toBe("INVALID_ENVELOPE");
    expect(good.payloads[0].preview).toBe('"fine"');
  });

  it("stops on SIGINT with exit 0", async () => {
    const listener = cliStart("listen", uniqueSubject("cli.sig"));
    await listener.line(/^listening on /);
    listener.signal("SIGINT");
    expectExit(await listener.done, 0);
  });
});

describe("request ↔ reply between two CLI processes", () => {
  it("answers with the given payloads; the answer names the request", async () => {
    const subject = uniqueSubject("cli.rr");
    const responder = cliStart("reply", subject, 'answer=@{"ok":true}', "-n", "1", "--json");
    await responder.line(/^answering on /);
    const r = await cli("request", subject, "question=ça va?:text", "--json", "--correlation-id", "cid-cli");
    expectExit(r, 0);
    const answer = JSON.parse(r.stdout.trim());
    const heard = await responder.done;
    expectExit(heard, 0);
    const request = JSON.parse(heard.stdout.trim());
    expect(request.payloads[0]).toMatchObject({ dataname: "question", payload_type: "text", preview: '"ça va?"' });
    expect(request.reply_to).toMatch(/^_INBOX\./);
    expect(answer.correlation_id).toBe("cid-cli");
    expect(request.correlation_id).toBe("cid-cli");
    expect(answer.reply_to_msg_id).toBe(request.msg_id);
    expect(answer.payloads[0]).toMatchObject({ dataname: "answer", payload_type: "dictionary", transport: "direct", preview: '{"ok":true}' });
  });

  it("--echo sends the request's payloads back, a linked file included", async () => {
    const subject = uniqueSubject("cli.echo");
    const blob = randomBytes(40_000, 9);
    await writeFile(join(work, "blob.bin"), blob);
    const saveDir = join(await mkdtemp(join(work, "saved-")), "made", "on demand");
    const responder = cliStart("reply", subject, "--echo", "-n", "1", "--size-threshold", "1000");
    await responder.line(/^answering on /);
    const r = await cli("request", subject, "blob=blob.bin", "--size-threshold", "1000", "--save", saveDir);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^ {2}blob {2}binary {2}link {2}40\.0 KB {2}/m);
    expect(Buffer.from(await readFile(join(saveDir, "blob.bin"))).equals(Buffer.from(blob))).toBe(true);
    expectExit(await responder.done, 0);
  });

  it("--error makes the requester exit 7 with the remote code, message and a hint", async () => {
    const subject = uniqueSubject("cli.err");
    const responder = cliStart("reply", subject, "--error", "SENSOR_OFFLINE", "--message", "sensor 3 is offline", "-n", "1");
    await responder.line(/^answering on /);
    const r = await cli("request", subject, "q=read");
    expectExit(r, 7, /REMOTE_ERROR: the responder on .* answered SENSOR_OFFLINE: sensor 3 is offline/, /hint: /);
    expectExit(await responder.done, 0);
  });

  it("no responders: exit 6 with a hint; no answer: exit 5", async () => {
    expectExit(await cli("request", uniqueSubject("cli.none"), "q=x"), 6, /NO_RESPONDERS/, /hint: start a responder first/);
    const subject = uniqueSubject("cli.silent");
    const listener = cliStart("listen", subject, "-n", "1");
    await listener.line(/^listening on /);
    expectExit(await cli("request", subject, "q=x", "--timeout", "0.5"), 5, /REQUEST_TIMEOUT/, /raise --timeout/);
    expectExit(await listener.done, 0);
  });

  it("a responder answers a request it cannot decode with that error", async () => {
    const subject = uniqueSubject("cli.undecodable");
    const responder = cliStart("reply", subject, "ok=yes", "-n", "1");
    await responder.line(/^answering on /);
    const inbox = `_INBOX.test.${Date.now()}`;
    const sub = nc.subscribe(inbox, { max: 1 });
    await nc.flush();
    nc.publish(subject, new TextEncoder().encode(JSON.stringify({ correlation_id: "c", msg_id: "m", timestamp: "2026-03-13T07:02:50Z", send_to: subject, reply_to: inbox, payloads: [{ dataname: "x", payload_type: "hologram", transport: "direct", data: "" }] })));
    for await (const m of sub) {
      const answer = JSON.parse(new TextDecoder().decode(m.data));
      expect(answer.error.code).toBe("INVALID_PAYLOAD_TYPE");
      expect(answer.reply_to_msg_id).toBe("m");
      expect(answer.correlation_id).toBe("c");
    }
    expectExit(await responder.done, 2, /INVALID_PAYLOAD_TYPE/);
  });
});

describe("bad arguments and unreachable servers: exit code and a message a person understands", () => {
  it("usage errors exit 2", async () => {
    expectExit(await cli("send", "s"), 2, /missing required argument 'payloads'/, /add --help/);
    expectExit(await cli("send", "s", "noequals"), 2, /must look like name=value/);
    expectExit(await cli("send", "s", "x=./missing.bin"), 2, /no such file: \.\/missing\.bin \(to send it as text, write x=\.\/missing\.bin:text\)/);
    expectExit(await cli("send", "s", "x={bad"), 0); // not @: plain text, sent
    expectExit(await cli("send", "s", "x=@{bad"), 2, /x: the value after @ is not valid JSON/);
    expectExit(await cli("send", "s", "x=hello:image"), 2, /a image payload needs a file or @json/);
    expectExit(await cli("send", "s", "x=@42:text"), 2, /must be a JSON string/);
    expectExit(await cli("send", "s", "x=1", "--size-threshold", "lots"), 2, /--size-threshold takes a whole number/);
    expectExit(await cli("request", "s", "--timeout", "0"), 2, /--timeout takes a number of seconds > 0/);
    expectExit(await cli("send", "s", "x=1", "--bogus"), 2, /unknown option '--bogus'/);
    expectExit(await cli("reply", "s", "a=1", "--echo"), 2, /give the answer one way/);
    expectExit(await cli("frobnicate"), 2, /unknown command 'frobnicate'/);
    const viaEnv = await runCli(["node", bin, "send", "s", "x=1"], { ...env(), SIZE_THRESHOLD: "-5" }, work);
    expectExit(viaEnv, 2, /--size-threshold takes a whole number ≥ 0, got "-5"/);
  });

  it("a payload type the data does not fit exits 2 with the code and a hint", async () => {
    await writeFile(join(work, "not-arrow.bin"), randomBytes(100, 1));
    expectExit(await cli("send", "s", "t=not-arrow.bin:arrowtable"), 2, /not an Arrow IPC file/);
    await writeFile(join(work, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expectExit(await cli("send", "s", "t=latin1.txt"), 2, /not UTF-8 text; add :binary/);
  });

  it("an unreachable NATS server exits 3, an unreachable file server 4", async () => {
    expectExit(await cli("send", "s", "x=1", "--server", "nats://127.0.0.1:1"), 3, /NATS_CONNECTION_FAILED: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/, /hint: is nats-server running there\?/);
    await writeFile(join(work, "some.bin"), randomBytes(5000, 2));
    expectExit(await cli("send", "s", "x=some.bin", "--size-threshold", "10", "--fileserver", "http://127.0.0.1:1"), 4, /UPLOAD_FAILED/, /hint: is the file server running\?/);
  });
});

describe("progress bars", () => {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

  it("show under a pseudo-terminal, one per uploaded file", async () => {
    await writeFile(join(work, "big.bin"), randomBytes(3_000_000, 4));
    const subject = uniqueSubject("cli.pty");
    const command = ["node", bin, "send", subject, "big=big.bin", "small=hi", "--size-threshold", "1000"].map(quote).join(" ");
    // util-linux script(1) runs the command on a pty: stderr is a terminal, as for a person.
    const r = await runCli(["script", "-qec", command, "/dev/null"], env(), work);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/[█░]{10,} 100% \| 3\.0 MB of 3\.0 MB \| big/);
    expect(r.stdout).toMatch(/[0-9a-f-]{36}/);
  });

  it("stay off when stderr is not a terminal, and with --no-progress", async () => {
    const r = await cli("send", uniqueSubject("cli.nopty"), "big=big.bin", "--size-threshold", "1000");
    expectExit(r, 0);
    expect(r.stderr).toBe("");
    const subject = uniqueSubject("cli.pty2");
    const command = ["node", bin, "send", subject, "big=big.bin", "--size-threshold", "1000", "--no-progress"].map(quote).join(" ");
    const quiet = await runCli(["script", "-qec", command, "/dev/null"], env(), work);
    expectExit(quiet, 0);
    expect(quiet.stdout).not.toMatch(/%/);
  });
});

describe("fileserver", () => {
  it("serves the Plik protocol on the port it prints, until SIGTERM", async () => {
    const server = cliStart("fileserver", "--port", "0", "--max-upload-bytes", "1000");
    const line = await server.line(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = line.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
    const up = await plikUpload(url, randomBytes(500, 1), "a.bin");
    expect((await fetch(up.downloadUrl)).status).toBe(200);
    await expect(plikUpload(url, randomBytes(2000, 1), "b.bin")).rejects.toThrow(/413/);
    server.signal("SIGTERM");
    expectExit(await server.done, 0);
  });
});
