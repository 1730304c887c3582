import { chromium, type Browser, type Page } from "playwright-core";
import { accessSync, constants } from "node:fs";

/**
 * The system Chromium (Debian package `chromium`; CI installs it with apt), never a downloaded
 * browser. A missing binary is a test failure with instructions, not a skip.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Console output and uncaught errors of a page, for failure messages. */
export function pageLog(page: Page): string[] {
  const lines: string[] = [];
  page.on("console", (m) => lines.push(`[console.${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => lines.push(`[pageerror] ${e.stack ?? e.message}`));
  page.on("requestfailed", (r) => lines.push(`[requestfailed] ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return lines;
}
