// Converse.js in headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, for tests/integration/test_converse.py.
//
//   node converse.mjs PAGE_PORT
//
// Serves converse-page.html and Converse.js's build (node_modules/converse.js/dist)
// on http://127.0.0.1:PAGE_PORT, then takes one JSON command per stdin line and
// answers each with one line "RESULT <json>" (or "ERROR <text>", after which it
// exits 1). Other lines (CONSOLE, PAGEERROR) are the page's own output.
//
//   {"cmd": "login", "websocket_url": U, "jid": FULL_JID, "password": P}
//       loads the page, which logs in; result {"jid": bound JID} once connected
//   {"cmd": "open_chat", "jid": J}      clicks J in the roster; result {}
//   {"cmd": "send", "jid": J, "body": B}
//       types B into the chat with J and presses Enter; result {} once it shows
//   {"cmd": "wait_messages", "jid": J, "bodies": [B...]}
//       waits until the chat with J shows every body; result {"shown": {B: times
//       the body is on screen}, "messages": [Converse.js's message models]}
//   {"cmd": "wait_reconnected", "count": N}   waits for N reconnections; result {}
//   {"cmd": "wire"}     result {"wire": [{"dir": "in"|"out", "xml": element}...]}
//   {"cmd": "reload_fresh", "websocket_url": U, "jid": J, "password": P}
//       loads the page in storage-clearing mode (every store of the origin
//       emptied, result checked), then loads it again to log in; result as login
//   {"cmd": "quit"}
//
// Every wait is bounded (20 s); the driver exits 1 after 110 s in any case.
import { readFileSync, realpathSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, sep } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const dist = realpathSync(join(here, "node_modules/converse.js/dist"));
const out = (line) => process.stdout.write(line + "\n");
const WAIT = { timeout: 20000, polling: 100 };
const [pagePort] = process.argv.slice(2);
const origin = `http://127.0.0.1:${pagePort}`;
let browser;

const fail = async (e) => {
  out("ERROR " + (e && (e.stack || e.message || e)));
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
};
setTimeout(() => fail("TIMEOUT: the driver ran 110 s"), 110000).unref();

const types = {
  ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
  ".wasm": "application/wasm", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2",
  ".woff": "font/woff", ".ttf": "font/ttf", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".map": "application/json",
};

function serve(req, res) {
  const path = decodeURIComponent(new URL(req.url, origin).pathname);
  let file = null;
  if (path === "/index.html") {
    file = join(here, "converse-page.html");
  } else if (path.startsWith("/dist/")) {
    const candidate = join(dist, path.slice("/dist/".length));
    if (candidate.startsWith(dist + sep)) file = candidate;
  }
  let body;
  try {
    body = file && readFileSync(file);
  } catch {
    body = null;
  }
  if (!body) out(`NOTFOUND ${path}`);
  res.writeHead(body ? 200 : 404, { "content-type": body ? types[extname(file)] || "application/octet-stream" : "text/plain" });
  res.end(body || "not found");
}

async function login(page, { websocket_url, jid, password }) {
  await page.goto(`${origin}/index.html?` + new URLSearchParams({ websocket_url, jid, password }));
  await page.waitForFunction(() => window.xmqdTest && (window.xmqdTest.error || window.xmqdTest.connected > 0),
                             null, WAIT);
  const state = await page.evaluate(() => ({ error: window.xmqdTest.error, jid: window.xmqdTest.jid }));
  if (state.error) throw new Error("page: " + state.error);
  return { jid: state.jid };
}

const chat = (jid) => `converse-chat[jid="${jid}"]`;

async function main() {
  const pages = createServer(serve);
  await new Promise((resolve, reject) => pages.once("error", reject).listen(Number(pagePort), "127.0.0.1", resolve));
  pages.unref();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--ignore-certificate-errors"],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on("console", (m) => out("CONSOLE " + m.text().replace(/\n/g, " ")));
  page.on("pageerror", (e) => out("PAGEERROR " + e.message));

  const commands = {
    login: (c) => login(page, c),
    async open_chat({ jid }) {
      await page.locator(`converse-roster a.open-chat[data-jid="${jid}"]`).click({ timeout: WAIT.timeout });
      await page.locator(`${chat(jid)} textarea.chat-textarea`).waitFor({ timeout: WAIT.timeout });
      return {};
    },
    async send({ jid, body }) {
      const textarea = page.locator(`${chat(jid)} textarea.chat-textarea`);
      await textarea.fill(body, { timeout: WAIT.timeout });
      await textarea.press("Enter", { timeout: WAIT.timeout });
      await page.waitForFunction(([sel, text]) => [...document.querySelectorAll(`${sel} .chat-msg__text`)]
        .some((e) => e.textContent.trim() === text), [chat(jid), body], WAIT);
      return {};
    },
    async wait_messages({ jid, bodies }) {
      const shown = () => page.evaluate(([sel, wanted]) => {
        const texts = [...document.querySelectorAll(`${sel} .chat-msg__text`)].map((e) => e.textContent.trim());
        return Object.fromEntries(wanted.map((b) => [b, texts.filter((t) => t === b).length]));
      }, [chat(jid), bodies]);
      try {
        await page.waitForFunction(([sel, wanted]) => {
          const texts = [...document.querySelectorAll(`${sel} .chat-msg__text`)].map((e) => e.textContent.trim());
          return wanted.every((b) => texts.includes(b));
        }, [chat(jid), bodies], WAIT);
      } catch (e) {
        throw new Error(`not all of ${JSON.stringify(bodies)} shown: ${JSON.stringify(await shown())}`);
      }
      return { shown: await shown(), messages: await page.evaluate((j) => window.xmqdTest.messages(j), jid) };
    },
    async wait_reconnected({ count }) {
      await page.waitForFunction((n) => window.xmqdTest.reconnected >= n, count, WAIT);
      return {};
    },
    wire: async () => ({ wire: await page.evaluate(() => window.xmqdTest.wire) }),
    async reload_fresh(c) {
      await page.goto(`${origin}/index.html?clear=1`);
      await page.waitForFunction(() => window.xmqdCleared, null, WAIT);
      const cleared = await page.evaluate(() => window.xmqdCleared);
      if (cleared.error || cleared.databases || cleared.local || cleared.session) {
        throw new Error("browser storage not cleared: " + JSON.stringify(cleared));
      }
      return login(page, c);
    },
  };

  out("READY");
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line);
    if (command.cmd === "quit") break;
    const run = commands[command.cmd];
    if (!run) throw new Error("unknown command " + command.cmd);
    out("RESULT " + JSON.stringify(await run(command)));
  }
  await browser.close();
  process.exit(0);
}

main().catch(fail);
