// A real JS XMPP client over WebSocket, for tests/integration/test_websocket.py.
//
//   node chat.mjs LIB URL JID PASSWORD [SUBSCRIBE_ROUTE SUBSCRIBE_TOPIC PUBLISH_ROUTE PUBLISH_TOPIC]
//
// LIB is "xmpp.js" (@xmpp/client) or "stanza". Signs in with SCRAM, prints
// "ONLINE <full jid>", then answers each chat message with "echo: <body>" and
// prints "GOT <from> <body>"; the body "bye" makes it sign out and exit 0.
// With the XMQ arguments (xmpp.js only) it first subscribes to the topic on
// the ANY queue (prints "SUBSCRIBED"), and on a queue message prints
// "QUEUE <body>" and publishes "re: <body>" to the other route and topic.
// Exits 1 on any error and after 30 s in any case.
import WebSocket from "ws";

globalThis.WebSocket ??= WebSocket;
const [lib, url, jid, password, subRoute, subTopic, pubRoute, pubTopic] = process.argv.slice(2);
const [local, domainAndResource] = jid.split("@");
const [domain, resource] = domainAndResource.split("/");
const out = (line) => process.stdout.write(line + "\n");
setTimeout(() => {
  out("TIMEOUT");
  process.exit(1);
}, 30000).unref();
const fail = (err) => {
  out("ERROR " + (err && (err.stack || err.message || err)));
  process.exit(1);
};

if (lib === "xmpp.js") {
  const { client, xml } = await import("@xmpp/client");
  const xmpp = client({ service: url, domain, resource, username: local, password });
  xmpp.on("error", fail);
  xmpp.on("stanza", async (stanza) => {
    if (!stanza.is("message")) return;
    const body = stanza.getChildText("body");
    const topic = stanza.getChild("xmq", "xmq:topic");
    if (topic && body !== null) {
      out(`QUEUE ${body}`);
      await xmpp.send(xml("message", { to: pubRoute, type: "chat" }, xml("body", {}, `re: ${body}`),
                          xml("xmq", { xmlns: "xmq:topic", topic: pubTopic })));
      return;
    }
    if (body === null) return;
    out(`GOT ${stanza.attrs.from} ${body}`);
    if (body === "bye") {
      await xmpp.stop();
      process.exit(0);
    }
    await xmpp.send(xml("message", { to: stanza.attrs.from, type: "chat" }, xml("body", {}, `echo: ${body}`)));
  });
  xmpp.on("online", async (address) => {
    try {
      if (subRoute) {
        const answer = await xmpp.iqCaller.request(
          xml("iq", { type: "set", to: subRoute },
              xml("xmq", { xmlns: "xmq:command", command: "sub", topic: subTopic, ttl: "60", load: "1" })));
        if (answer.attrs.type !== "result") throw new Error("sub refused: " + answer.toString());
        out("SUBSCRIBED");
      }
      out(`ONLINE ${address.toString()}`);
    } catch (err) {
      fail(err);
    }
  });
  xmpp.start().catch(fail);
} else if (lib === "stanza") {
  const XMPP = await import("stanza");
  const client = XMPP.createClient({
    jid: `${local}@${domain}`,
    password,
    resource,
    transports: { websocket: url, bosh: false },
  });
  client.on("session:started", () => out(`ONLINE ${client.jid}`));
  client.on("stream:error", (e) => fail(new Error("stream error " + JSON.stringify(e))));
  client.on("auth:failed", () => fail(new Error("auth failed")));
  client.on("chat", async (msg) => {
    out(`GOT ${msg.from} ${msg.body}`);
    if (msg.body === "bye") {
      client.disconnect();
      setTimeout(() => process.exit(0), 200);
      return;
    }
    client.sendMessage({ to: msg.from, type: "chat", body: `echo: ${msg.body}` });
  });
  client.connect();
} else {
  fail(new Error("unknown library " + lib));
}
