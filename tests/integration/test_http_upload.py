"""HTTP file upload (XEP-0363, module http_upload) against a real xmqd.

A slixmpp client finds upload.localhost and asks it for slots (raw iqs:
Debian's slixmpp XEP-0363 plugin needs aiohttp, which Debian's python
packages here lack); the files go up and come down with Python's
http.client over TLS on xmqd's https listener, as Conversations or Dino
would send them. Also: the CORS preflight Converse.js makes, the HTTP
refusals (reuse, expiry, wrong size or type, forged signature, path
tricks), the headers of a download, a broken upload leaving nothing, the
XMPP errors, the metrics, and an account's files going with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import os
import socket
import ssl
import time
import urllib.parse

import pytest

from conftest import USERS
from web_helpers import XmqdWeb, http_get, metric, parse_prometheus
from xmpp_client import Client, error_condition

UPLOAD = "urn:xmpp:http:upload:0"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
MAX_FILE_SIZE = 4 * 1024 * 1024
QUOTA = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def web(tmp_path_factory, tls_cert):
    cert, key = tls_cert
    # A short request timeout: a stalled upload is cut off after it (test_stalled_upload_is_cut_off).
    server = XmqdWeb(tmp_path_factory.mktemp("upload"), cert, key, name="upload",
                     http_options={"request_timeout": 3})
    server.module_options["http_upload"] = {"max_file_size": MAX_FILE_SIZE, "quota_per_account": QUOTA}
    server.write_config()
    for user, password in {**USERS, "frank": "frank-secret"}.items():
        server.add_user(user, password)
    server.start()
    yield server
    assert server.stop() == 0


def tls_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(url: str) -> tuple[http.client.HTTPSConnection, str]:
    """A connection to the listener a URL names (on 127.0.0.1), and the URL's target."""
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "https" and parts.hostname == "localhost", url
    conn = http.client.HTTPSConnection("127.0.0.1", parts.port, context=tls_context(), timeout=10)
    return conn, parts.path + (f"?{parts.query}" if parts.query else "")


def request(url: str, method: str, body: bytes | None = None, headers: dict | None = None):
    conn, target = connect(url)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def put(url: str, body: bytes, content_type: str | None = "text/plain", **extra):
    headers = dict(extra)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return request(url, "PUT", body, headers)


def slot_request(filename: str, size: int, content_type: str = "text/plain") -> str:
    return (f"<request xmlns='{UPLOAD}' filename='{filename}' size='{size}' "
            f"content-type='{content_type}'/>")


async def get_slot(client: Client, filename: str, size: int, content_type: str = "text/plain") -> tuple[str, str]:
    answer = await client.iq("get", "upload.localhost", slot_request(filename, size, content_type))
    assert answer["type"] == "result", answer
    slot = answer.xml.find(f"{{{UPLOAD}}}slot")
    return slot.find(f"{{{UPLOAD}}}put").get("url"), slot.find(f"{{{UPLOAD}}}get").get("url")


def stored_files(server: XmqdWeb) -> list[str]:
    return sorted(os.listdir(server.data_dir / "upload" / "files"))


def partial_files(server: XmqdWeb) -> list[str]:
    return sorted(os.listdir(server.data_dir / "upload" / "partial"))


async def test_discovered_uploaded_and_downloaded(web):
    client = Client(web, "alice")
    await client.sign_in()
    try:
        items = await client.iq("get", "localhost", f"<query xmlns='{DISCO_ITEMS}'/>")
        assert "upload.localhost" in [i.get("jid") for i in items.xml.iter(f"{{{DISCO_ITEMS}}}item")]
        info = await client.iq("get", "upload.localhost", f"<query xmlns='{DISCO_INFO}'/>")
        identity = info.xml.find(f"{{{DISCO_INFO}}}query/{{{DISCO_INFO}}}identity")
        assert (identity.get("category"), identity.get("type")) == ("store", "file")
        assert UPLOAD in [f.get("var") for f in info.xml.iter(f"{{{DISCO_INFO}}}feature")]
        sizes = [f.find("{jabber:x:data}value").text for f in info.xml.iter("{jabber:x:data}field")
                 if f.get("var") == "max-file-size"]
        assert sizes == [str(MAX_FILE_SIZE)]

        body = os.urandom(300_000)
        put_url, get_url = await get_slot(client, "très cool.jpg", len(body), "image/jpeg")
        assert put_url.startswith(f"https://localhost:{web.https_port}/upload/")
        assert put_url.startswith(get_url + "?")
        # Not there before it is uploaded.
        assert request(get_url, "GET")[0] == 404
        status, headers, _ = put(put_url, body, "image/jpeg", Origin="https://chat.example.com")
        assert status == 201
        assert headers["access-control-allow-origin"] == "*"

        status, headers, got = request(get_url, "GET")
        assert status == 200 and got == body
        assert headers["content-type"] == "image/jpeg"
        assert headers["content-length"] == str(len(body))
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-disposition"] == \
            "inline; filename=\"tr__s cool.jpg\"; filename*=UTF-8''tr%C3%A8s%20cool.jpg"
        assert headers["access-control-allow-origin"] == "*"
        status, headers, got = request(get_url, "HEAD")
        assert status == 200 and got == b"" and headers["content-length"] == str(len(body))

        # A type that could run in the server's origin is only ever a download.
        html = b"<script>alert(1)</script>"
        put_url, get_url = await get_slot(client, "page.html", len(html), "text/html")
        assert put(put_url, html, "text/html")[0] == 201
        status, headers, got = request(get_url, "GET")
        assert got == html and headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in headers["content-security-policy"]
    finally:
        await client.sign_out()


async def test_cors_preflight(web):
    client = Client(web, "bob")
    await client.sign_in()
    try:
        put_url, _ = await get_slot(client, "a.txt", 10)
    finally:
        await client.sign_out()
    status, headers, _ = request(put_url, "OPTIONS", headers={
        "Origin": "https://chat.example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type"})
    assert status in (200, 204)
    assert headers["access-control-allow-origin"] == "*"
    assert "PUT" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()


def signed_put_url(server: XmqdWeb, get_url: str, owner: str, size: int, content_type: str, expires: int) -> str:
    """A PUT URL signed as xmqd signs them (HMAC-SHA256 of the slot's terms under data_dir/upload/secret)."""
    secret = (server.data_dir / "upload" / "secret").read_bytes()
    path = urllib.parse.urlsplit(get_url).path
    slot_id, name = path.split("/")[2], urllib.parse.unquote(path.split("/")[3])
    text = b"\0".join([b"xmqd-upload-v1", slot_id.encode(), name.encode(), content_type.encode(), owner.encode(),
                       str(size).encode(), str(expires).encode()])
    sig = hmac.new(secret, text, hashlib.sha256).hexdigest()
    q = urllib.parse.quote
    return (f"{get_url}?o={q(owner, safe='')}&s={size}&t={q(content_type, safe='')}&e={expires}&sig={sig}")


async def test_refusals(web):
    client = Client(web, "carol")
    await client.sign_in()
    try:
        body = b"x" * 1000
        put_url, get_url = await get_slot(client, "r.txt", len(body))
        assert put(put_url, body[:-1])[0] == 400            # shorter than the slot
        assert put(put_url, body + b"y")[0] == 413          # longer than the slot
        assert put(put_url, body, "image/png")[0] == 400    # another type
        forged = put_url[:-4] + ("0000" if not put_url.endswith("0000") else "1111")
        assert put(forged, body)[0] == 403
        bigger = put_url.replace("&s=1000&", "&s=999&")
        assert put(bigger, body[:999])[0] == 403             # a term changed: the signature fails
        assert put(put_url, body)[0] == 201
        assert put(put_url, body)[0] == 409                  # used already
        assert request(get_url, "GET")[2] == body

        # Signed the server's way, but its time is over.
        _, fresh_get = await get_slot(client, "late.txt", 10)
        expired = signed_put_url(web, fresh_get, "carol@localhost", 10, "text/plain", int(time.time()) - 5)
        assert put(expired, b"0123456789")[0] == 403
        current = signed_put_url(web, fresh_get, "carol@localhost", 10, "text/plain", int(time.time()) + 60)
        assert put(current, b"0123456789")[0] == 201

        # Path tricks and other methods.
        base = f"https://localhost:{web.https_port}"
        slot_id = urllib.parse.urlsplit(get_url).path.split("/")[2]
        for path in ["/upload/../upload/secret", f"/upload/{slot_id}/..%2F..%2Fsecret", f"/upload/{slot_id}/%2e%2e",
                     f"/upload/{slot_id}/r.txt/x", f"/upload/{slot_id.upper()}/r.txt", "/upload/secret"]:
            assert request(base + path, "GET")[0] in (400, 404), path
        assert request(get_url, "DELETE")[0] == 405
    finally:
        await client.sign_out()


async def test_xmpp_errors(web):
    client = Client(web, "dave")
    await client.sign_in()
    try:
        big = await client.iq("get", "upload.localhost", slot_request("big.bin", MAX_FILE_SIZE + 1))
        assert error_condition(big) == "not-acceptable"
        limit = big.xml.find(f"{{jabber:client}}error/{{{UPLOAD}}}file-too-large/{{{UPLOAD}}}max-file-size")
        assert limit is not None and limit.text == str(MAX_FILE_SIZE)
        assert error_condition(await client.iq("get", "upload.localhost", slot_request("a/b", 10))) == \
            "not-acceptable"
        # The quota: 6 MiB per account, two files of 4 MiB do not fit.
        body = b"q" * MAX_FILE_SIZE
        put_url, _ = await get_slot(client, "q1.bin", len(body), "application/octet-stream")
        assert put(put_url, body, "application/octet-stream")[0] == 201
        full = await client.iq("get", "upload.localhost", slot_request("q2.bin", MAX_FILE_SIZE))
        assert error_condition(full) == "resource-constraint"
    finally:
        await client.sign_out()


def send_partial(url: str, body: bytes, sent: int):
    """Starts a PUT of `body` and closes the connection after `sent` bytes of it."""
    conn, target = connect(url)
    conn.putrequest("PUT", target)
    conn.putheader("Content-Type", "text/plain")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body[:sent])
    time.sleep(0.2)
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()


async def test_broken_upload_leaves_nothing(web):
    client = Client(web, "erin")
    await client.sign_in()
    try:
        before = stored_files(web)
        body = os.urandom(2 * 1024 * 1024)
        put_url, get_url = await get_slot(client, "broken.bin", len(body))
        send_partial(put_url, body, 700_000)
        for _ in range(50):  # the server notices the closed connection
            if not partial_files(web):
                break
            await asyncio.sleep(0.1)
        assert partial_files(web) == []
        assert stored_files(web) == before
        assert request(get_url, "GET")[0] == 404
        # The slot was not used: the client may try again.
        assert put(put_url, body)[0] == 201
        assert request(get_url, "GET")[2] == body
    finally:
        await client.sign_out()


async def test_stalled_upload_is_cut_off(web):
    client = Client(web, "erin")
    await client.sign_in()
    try:
        body = b"s" * 100_000
        put_url, get_url = await get_slot(client, "stalled.txt", len(body))
    finally:
        await client.sign_out()
    conn, target = connect(put_url)
    conn.putrequest("PUT", target)
    conn.putheader("Content-Type", "text/plain")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body[:1000])
    # Then nothing: after http.request_timeout (3 s) the server closes the connection.
    conn.sock.settimeout(30)
    try:
        assert conn.sock.recv(1) == b""
    except (ssl.SSLError, ConnectionResetError):
        pass  # closed without a TLS close_notify: closed all the same
    conn.close()
    for _ in range(50):
        if not partial_files(web):
            break
        await asyncio.sleep(0.1)
    assert partial_files(web) == []
    assert request(get_url, "GET")[0] == 404


async def test_metrics_and_account_deletion(web):
    status, _, text = await http_get(web.http_port, "/metrics")
    assert status == 200
    series = parse_prometheus(text.decode())
    assert metric(series, "xmqd_uploads_total") >= 1
    assert metric(series, "xmqd_upload_bytes_total") >= 300_000
    assert metric(series, "xmqd_downloads_total") >= 1
    assert metric(series, "xmqd_upload_files") >= 1

    client = Client(web, "frank", "frank-secret")
    await client.sign_in()
    put_url, get_url = await get_slot(client, "mine.txt", 5)
    assert put(put_url, b"hello")[0] == 201
    await client.sign_out()
    result = await asyncio.to_thread(web.admin, "deluser", "frank@localhost")
    assert result.returncode == 0, result.stderr
    for _ in range(50):
        if request(get_url, "GET")[0] == 404:
            break
        await asyncio.sleep(0.1)
    assert request(get_url, "GET")[0] == 404


def test_check_reports_it(web):
    result = web.admin("check")
    assert result.returncode == 0, result.stderr
    assert "http file upload (XEP-0363):" in result.stdout
    assert f"upload.localhost: https://localhost:{web.https_port}/upload/" in result.stdout
    assert f"max file size {MAX_FILE_SIZE} bytes" in result.stdout
