import { defineConfig } from "tsup";

const external = ["nats", "nats.ws", "apache-arrow", "undici", "zod"];

export default defineConfig([
  {
    entry: { node: "src/node.ts", browser: "src/browser.ts", fileserver: "src/fileserver.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // The CLI build below writes into the same directory at the same time (tsup runs configs in parallel).
    clean: ["!cli.js", "!cli.js.map"],
    splitting: true,
    treeshake: true,
    target: "es2022",
    external,
  },
  {
    // The `natsbridge` executable (package.json `bin`): ESM for Node only. The shebang of
    // src/cli/main.ts is kept, and tsup marks the file executable.
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    dts: false,
    sourcemap: true,
    clean: false,
    splitting: false,
    external: [...external, "commander", "cli-progress"],
  },
]);
