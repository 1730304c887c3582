import { defineConfig } from "tsup";

export default defineConfig({
  entry: { node: "src/node.ts", browser: "src/browser.ts", fileserver: "src/fileserver.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: "es2022",
  external: ["nats", "nats.ws", "apache-arrow", "undici", "zod"],
});
