// The console in a real browser: Debian's chromium driven by playwright-core (Playwright's own
// browser download is not available here), with a page object whose steps are what a person does
// in the console, so a test reads as a walk through it. Screenshots go to .data/screenshots/.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { repositoryRoot } from "./mini-mesh.ts";

export const screenshotDir = join(repositoryRoot, ".data", "screenshots");

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
    Boolean,
  ) as string[];
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    throw new Error("no chromium: install it with `apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH");
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container has no user namespaces for the sandbox; the page is our own console.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

export class ConsolePage {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
    readonly shots: string,
  ) {}

  /** A page on the console; screenshots go to `shots` (default .data/screenshots/). */
  static async open(browser: Browser, baseUrl: string, shots = screenshotDir): Promise<ConsolePage> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    return new ConsolePage(page, baseUrl, shots);
  }

  async go(path: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}${path}`);
  }

  async view(
    name: "topology" | "traffic" | "traces" | "policy" | "events" | "sagas" | "explorer" | "logs",
  ): Promise<void> {
    await this.page.click(`nav a[data-view="${name}"]`);
  }

  /**
   * Calls an RPC from the API explorer as a person would: pick it, fill the form's fields (or the
   * JSON box), choose the edge with a token or mTLS as a workload, press Call. Returns the code shown.
   */
  async callRpc(
    path: string,
    request: { fields?: Record<string, string>; json?: unknown },
    via: { identity: string } | { edge: true; token?: string },
  ): Promise<string> {
    await this.view("explorer");
    await this.page.click(`a.rpc[data-rpc="${path}"]`);
    await this.page.waitForSelector(".rpc-panel .message-form, .rpc-panel .muted");
    if ("identity" in via) {
      await this.page.check('input[name="via"][value="mesh"]');
      const known = await this.page.$$eval('select[name="identity"] option', (options) =>
        options.map((o) => o.textContent),
      );
      if (known.includes(via.identity)) await this.page.selectOption('select[name="identity"]', via.identity);
      else await this.page.fill('input[name="identityCustom"]', via.identity);
    } else {
      await this.page.check('input[name="via"][value="edge"]');
      if (via.token !== undefined) await this.page.fill('input[name="token"]', via.token);
    }
    for (const [field, value] of Object.entries(request.fields ?? {})) {
      await this.page.fill(`.message-form [data-field="${field}"] input`, value);
    }
    if (request.json !== undefined) await this.page.fill('textarea[name="requestJson"]', JSON.stringify(request.json));
    await this.page.click('button[name="call"]');
    const result = await this.page.waitForSelector(".result");
    return (await result.getAttribute("data-result-code")) ?? "";
  }

  /**
   * Signs in from the explorer: calls the app's login RPC through the edge and takes the token
   * from its response ("use as token"), so later edge calls carry it. Returns the token.
   */
  async signIn(loginPath: string, credentials: unknown): Promise<string> {
    const code = await this.callRpc(loginPath, { json: credentials }, { edge: true });
    if (code !== "OK") throw new Error(`signing in with ${loginPath} failed: ${code}`);
    await this.page.click('button[name="useToken"]');
    return this.page.inputValue('input[name="token"]');
  }

  /** Follows the explorer result's "open trace" link; returns the trace id. */
  async openResultTrace(): Promise<string> {
    await this.page.click(".result a.trace-link");
    const header = await this.page.waitForSelector("[data-trace-id]");
    return (await header.getAttribute("data-trace-id")) ?? "";
  }

  /** Waits until the waterfall has a row matching every selector (spans arrive over seconds). */
  async waitForSpans(selectors: readonly string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing: string[] = [];
      for (const s of selectors) if ((await this.page.$(`.wf-row${s}`)) === null) missing.push(s);
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`the waterfall has no span ${missing.join(", ")}`);
      await this.page.waitForTimeout(300);
      await this.page.reload();
      await this.page.waitForSelector("[data-trace-id]");
    }
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(this.shots, { recursive: true });
    const path = join(this.shots, `${name}.png`);
    // The whole page in a viewport as large as it (a full-page capture would cut the sticky nav
    // at the first screen's height), then the usual viewport again.
    const viewport = this.page.viewportSize() ?? { width: 1440, height: 900 };
    const [width, height] = (await this.page.evaluate(
      "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]",
    )) as [number, number];
    await this.page.setViewportSize({
      width: Math.max(viewport.width, width),
      height: Math.max(viewport.height, height),
    });
    await this.page.screenshot({ path });
    await this.page.setViewportSize(viewport);
    return path;
  }
}
