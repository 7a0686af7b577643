"""Log lines: `[log] format = "json"` gives one JSON object per line, and the lines about
a session carry its id and JID; no password or message body is logged at info level."""

from __future__ import annotations

import asyncio
import json

import pytest

from xmpp_client import signed_in


@pytest.fixture(scope="module")
def json_server(make_server):
    server = make_server("jsonlog")
    with server.config_path.open("a") as f:
        f.write('\n[log]\nformat = "json"\nlevel = "info"\n')
    server.start()
    yield server
    assert server.stop() == 0, server.log()[-3000:]


def server_lines(server) -> list[str]:
    return [line for line in server.lines if not line.startswith("--- harness")]


async def test_json_lines_with_session_and_jid(json_server):
    mark = len(json_server.lines)
    body = "the secret plans are in the blue folder"
    async with signed_in(json_server, "alice", resource="laptop") as alice, \
            signed_in(json_server, "bob") as bob:
        alice.send_message(bob.jid, body)
        assert (await bob.next_message())["body"] == body

    records = []
    for line in server_lines(json_server):
        record = json.loads(line)  # every line, from start-up on, is one JSON object
        assert isinstance(record, dict), line
        assert {"time", "level", "message"} <= record.keys(), line
        assert record["level"] in ("debug", "info", "warning", "error"), line
        records.append(record)
    assert any(r["message"].startswith("xmqd ready") for r in records)

    since = [json.loads(line) for line in json_server.lines[mark:] if not line.startswith("--- harness")]
    auth = [r for r in since if r["message"].startswith("authenticated with ") and r.get("jid") == "alice@localhost"]
    assert len(auth) == 1, since
    session = auth[0]["session"]
    assert isinstance(session, int)
    bound = [r for r in since if r["message"] == "bound" and r.get("session") == session]
    assert [r["jid"] for r in bound] == ["alice@localhost/laptop"], since
    # The session's end is logged after the client saw its stream close, and
    # the log is read by another thread: wait for the line.
    for _ in range(100):
        since = [json.loads(line) for line in json_server.lines[mark:] if not line.startswith("--- harness")]
        ended = [r for r in since if r["message"] == "ended" and r.get("session") == session]
        if ended:
            break
        await asyncio.sleep(0.05)
    assert [r["jid"] for r in ended] == ["alice@localhost/laptop"], since

    log = json_server.log(mark)
    assert body not in log
    assert json_server.passwords["alice@localhost"] not in log
