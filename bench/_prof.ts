import { smartsend, smartreceive } from "../src/node.js";
const text = "x".repeat(1024);
const which = process.argv[2];
const [, json] = await smartsend("s", [["msg", text, "text"]], { is_publish: false });
const bytes = Buffer.from(json);
for (let i = 0; i < 400000; i++) {
  if (which === "send") await smartsend("s", [["msg", text, "text"]], { is_publish: false });
  else await smartreceive(bytes);
}
