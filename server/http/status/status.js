// The /status dashboard: polls /status/data.json and draws uPlot charts of
// open connections, stanza rates and each queue's consumers and rates.
"use strict";
(function () {
  const POLL_MS = 2000;
  const KEEP = 150;  // points per series: five minutes at the poll interval
  const WIDTH = 520, HEIGHT = 220;
  const colors = ["#2a6fdb", "#d9534f", "#3c9d5d", "#e0a100", "#8a4fd0", "#16a2b8"];

  function chart(target, title, labels) {
    const series = [{}].concat(labels.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2 })));
    const data = [[]].concat(labels.map(() => []));
    const plot = new uPlot({ width: WIDTH, height: HEIGHT, title, series, scales: { x: { time: true } } }, data, target);
    return {
      push(t, values) {
        data[0].push(t);
        values.forEach((v, i) => data[i + 1].push(v));
        if (data[0].length > KEEP) data.forEach((s) => s.shift());
        plot.setData(data);
      },
    };
  }

  const connections = chart(document.getElementById("chart-connections"), "", ["tcp", "tls", "websocket"]);
  const stanzas = chart(document.getElementById("chart-stanzas"), "", ["in", "out"]);
  const queueCharts = new Map();
  let previous = null;
  // What the page has drawn, for tests and the curious: updates and the top stanza rate.
  window.xmqdStatus = { polls: 0, maxStanzaRate: 0 };

  function sum(o) { return Object.values(o).reduce((a, b) => a + b, 0); }
  function rate(now, before, dt) { return before === undefined ? 0 : Math.max(0, (now - before) / dt); }

  function render(d, t) {
    document.getElementById("summary").textContent =
      `${d.sessions} sessions · ${d.logins} logins · ${d.auth_failures} auth failures · ` +
      `${d.routing_errors} routing errors · up ${d.uptime} s` +
      (d.components.length ? ` · components: ${d.components.join(", ")}` : "") +
      (d.s2s && d.s2s.length ? ` · s2s: ${d.s2s.join(", ")}` : "");
    connections.push(t, [d.connections.tcp, d.connections.tls, d.connections.websocket]);
    const dt = previous ? Math.max(0.001, t - previous.t) : 1;
    const rates = [rate(sum(d.stanzas_in), previous && sum(previous.d.stanzas_in), dt),
                   rate(sum(d.stanzas_out), previous && sum(previous.d.stanzas_out), dt)];
    stanzas.push(t, rates);
    window.xmqdStatus.maxStanzaRate = Math.max(window.xmqdStatus.maxStanzaRate, ...rates);
    const tbody = document.querySelector("#queues tbody");
    tbody.replaceChildren();
    for (const q of d.queues) {
      const row = document.createElement("tr");
      for (const v of [q.route, q.type, q.consumers, q.published, q.delivered, q.rejected]) {
        const cell = document.createElement("td");
        cell.textContent = v;
        row.appendChild(cell);
      }
      tbody.appendChild(row);
      if (!queueCharts.has(q.route)) {
        const box = document.createElement("div");
        document.getElementById("queue-charts").appendChild(box);
        queueCharts.set(q.route, chart(box, q.route, ["consumers", "published/s", "delivered/s"]));
      }
      const before = previous && previous.d.queues.find((p) => p.route === q.route);
      queueCharts.get(q.route).push(t, [q.consumers, rate(q.published, before && before.published, dt),
                                        rate(q.delivered, before && before.delivered, dt)]);
    }
    previous = { d, t };
    window.xmqdStatus.polls += 1;
  }

  async function poll() {
    try {
      const response = await fetch("/status/data.json", { cache: "no-store" });
      if (response.ok) render(await response.json(), Date.now() / 1000);
      else document.getElementById("summary").textContent = `status feed: HTTP ${response.status}`;
    } catch (e) {
      document.getElementById("summary").textContent = "status feed unreachable";
    }
    setTimeout(poll, POLL_MS);
  }
  poll();
})();
