// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core,
// for tests/integration/test_browser.py.
//
//   node browser.mjs chat WSS_URL DOMAIN USER PASSWORD RESOURCE PAGE_PORT
//     Serves browser-page.html and the browser build of @xmpp/client on
//     http://127.0.0.1:PAGE_PORT, opens it (the page logs in to the real xmqd
//     at WSS_URL), prints "ONLINE <jid>", then "GOT <from> <body>" for the
//     first message, and exits 0.
//   node browser.mjs status URL PNG POLLS
//     Loads the /status dashboard, waits until it has drawn POLLS updates,
//     prints "POINTS <n>" and "RATE <max stanza rate seen>", saves a screenshot to PNG.
//
// Exits 1 on any error and after 40 s in any case.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const out = (line) => process.stdout.write(line + "\n");
const [mode, ...args] = process.argv.slice(2);
let browser;
const timer = setTimeout(async () => {
  out("TIMEOUT");
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}, 40000);

async function main() {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--ignore-certificate-errors"],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on("console", (m) => out("CONSOLE " + m.text()));
  page.on("pageerror", (e) => out("PAGEERROR " + e.message));
  if (mode === "chat") {
    const [wss, domain, user, password, resource, pagePort] = args;
    const files = {
      "/index.html": ["text/html", readFileSync(join(here, "browser-page.html"))],
      "/xmpp.min.js": ["text/javascript", readFileSync(join(here, "node_modules/@xmpp/client/dist/xmpp.min.js"))],
    };
    const pages = createServer((req, res) => {
      const file = files[new URL(req.url, "http://x").pathname];
      res.writeHead(file ? 200 : 404, { "content-type": file ? file[0] : "text/plain" });
      res.end(file ? file[1] : "not found");
    });
    await new Promise((resolve, reject) => pages.once("error", reject).listen(Number(pagePort), "127.0.0.1", resolve));
    pages.unref();
    const q = new URLSearchParams({ service: wss, domain, username: user, password, resource });
    await page.goto(`http://127.0.0.1:${pagePort}/index.html?${q}`);
    const online = await page.waitForFunction(() => window.testState.error || window.testState.online,
                                              null, { timeout: 20000 });
    const state = await page.evaluate(() => window.testState);
    if (state.error) throw new Error("page: " + state.error);
    out(`ONLINE ${await online.jsonValue()}`);
    await page.waitForFunction(() => window.testState.error || window.testState.received.length > 0,
                               null, { timeout: 20000 });
    const after = await page.evaluate(() => window.testState);
    if (after.error) throw new Error("page: " + after.error);
    out(`GOT ${after.received[0].from} ${after.received[0].body}`);
  } else if (mode === "status") {
    const [url, png, polls] = args;
    await page.goto(url);
    await page.waitForFunction((n) => (window.xmqdStatus && window.xmqdStatus.polls >= n), Number(polls),
                               { timeout: 30000, polling: 200 });
    const status = await page.evaluate(() => window.xmqdStatus);
    out(`POINTS ${status.polls}`);
    out(`RATE ${status.maxStanzaRate}`);
    out(`CANVASES ${await page.locator("canvas").count()}`);
    await page.screenshot({ path: png, fullPage: true });
    out("SAVED");
  } else {
    throw new Error("unknown mode " + mode);
  }
  await browser.close();
  clearTimeout(timer);
}

main().catch(async (e) => {
  out("ERROR " + (e && (e.stack || e.message || e)));
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
});
