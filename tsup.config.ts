import { defineConfig } from "tsup";

const external = ["nats", "nats.ws", "apache-arrow", "undici", "zod"];

export default defineConfig([
  {
    entry: { node: "src/node.ts", browser: "src/browser.ts", fileserver: "src/fileserver.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // The CLI build below writes into the same directory at the same time (tsup runs configs in
    // parallel); dist/micropython is `npm run build:micropython`'s.
    clean: ["!cli.js", "!cli.js.map", "!micropython", "!micropython/**"],
    splitting: true,
    treeshake: true,
    target: "es2022",
    external,
  },
  {
    // The `natsbridge` executable (package.json `bin`): ESM for Node only. The shebang of
    // src/cli/main.ts is kept, and tsup marks the file executable. Its own needs (a NATS client
    // for credentials and TLS, commander, cli-progress) are bundled, so `npx natsbridge` works
    // although `nats` is only an optional peer of the library and the others are dev dependencies.
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    dts: false,
    sourcemap: true,
    clean: false,
    splitting: false,
    external: ["nats.ws", "apache-arrow", "zod", "@noble/hashes"],
    noExternal: ["nats", "commander", "cli-progress"],
    // Those are CommonJS and require Node built-ins; in an ES module that needs a real `require`.
    banner: { js: 'import { createRequire as __natsbridgeRequire } from "node:module"; const require = __natsbridgeRequire(import.meta.url);' },
  },
]);
