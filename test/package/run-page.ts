import type { Browser } from "playwright-core";
import { pageLog } from "../browser/chromium.js";
import { startStaticServer } from "../browser/static-server.js";

export interface PageApp {
  /** Directory the bundler wrote. */
  outDir: string;
  /** The page; when the bundler wrote none, one that loads `script`. */
  html?: { script: string; module: boolean };
}

/**
 * Serve a bundled app from 127.0.0.1, open it in Chromium and call the `runApp(wsUrl, subject)`
 * the fixture defines (test/package/fixtures/*-page.js); returns what it returned.
 */
export async function runPageApp(browser: Browser, app: PageApp, wsUrl: string, subject: string): Promise<any> {
  const extra: Record<string, string> = {};
  if (app.html) {
    const type = app.html.module ? ` type="module"` : "";
    extra["/index.html"] = `<!doctype html><meta charset="utf-8"><script${type} src="/${app.html.script}"></script><body>app</body>`;
  }
  const site = await startStaticServer(app.outDir, extra);
  const page = await browser.newPage();
  const log = pageLog(page);
  let timer: NodeJS.Timeout | undefined;
  try {
    await page.goto(`${site.url}/index.html`);
    await page.waitForFunction(() => (globalThis as { appReady?: boolean }).appReady === true, undefined, { timeout: 15_000 }).catch((e) => {
      throw new Error(`the app did not load:\n${log.join("\n")}`, { cause: e });
    });
    const result = page
      .evaluate(([u, s]) => (globalThis as unknown as { runApp(u: string, s: string): Promise<unknown> }).runApp(u!, s!), [wsUrl, subject])
      .catch((e) => {
        throw new Error(`runApp failed in the page: ${(e as Error).message}\n${log.join("\n")}`, { cause: e });
      });
    // A page that never answers must fail the test, not hang it.
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`runApp did not finish within 30 s\n${log.join("\n")}`)), 30_000);
    });
    return await Promise.race([result, hung]);
  } finally {
    clearTimeout(timer);
    await page.close();
    await site.close();
  }
}
