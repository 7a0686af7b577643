#!/usr/bin/python3
"""HTTP file upload (XEP-0363) throughput: xmqd against nginx, both over TLS on loopback.

One file of --size MiB (default 100) is uploaded (PUT) and downloaded (GET) with
Debian's curl, --reps times each (default 3), first to and from nginx (a static file
server: WebDAV PUT, sendfile GET, the same certificate, TLS 1.3), then to and from
xmqd through a slot asked for over XMPP (slixmpp). Prints the median MiB/s of each
and xmqd's share of nginx's; the issue asks for at least 80%.

    tests/bench/upload_throughput.py [--xmqd build/server/xmqd] [--size 100] [--reps 3]

Needs nginx (`apt-get install nginx`: its WebDAV module takes the PUT),
curl and python3-slixmpp. Not part of CI: figures are never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from web_helpers import XmqdWeb  # noqa: E402
from xmpp_client import Client  # noqa: E402
from xmqd_process import free_port, make_certificate  # noqa: E402

UPLOAD = "urn:xmpp:http:upload:0"

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_max_body_size 0;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.3;
        root {work}/www;
        location / {{
            dav_methods PUT;
            create_full_put_path on;
        }}
    }}
}}
"""


def curl(*args: str) -> float:
    """Runs curl; returns the transfer's seconds (time_total)."""
    out = subprocess.run(["curl", "-sS", "-k", "--fail", "-o", "/dev/null", "-w", "%{time_total}", *args],
                         check=True, capture_output=True, text=True)
    return float(out.stdout)


def mib_per_s(size: int, seconds: float) -> float:
    return size / (1024 * 1024) / seconds


def measure(put_urls: list[str], get_url: str, body: Path, size: int, reps: int) -> tuple[float, float]:
    ups = [mib_per_s(size, curl("-T", str(body), "-H", "Content-Type: application/octet-stream", put_urls[i]))
           for i in range(reps)]
    downs = [mib_per_s(size, curl(get_url)) for _ in range(reps)]
    return statistics.median(ups), statistics.median(downs)


async def xmqd_slots(server: XmqdWeb, size: int, count: int) -> list[tuple[str, str]]:
    client = Client(server, "bench", "bench-secret")
    await client.sign_in()
    try:
        slots = []
        for i in range(count):
            answer = await client.iq("get", "upload.localhost",
                                     f"<request xmlns='{UPLOAD}' filename='file{i}.bin' size='{size}' "
                                     "content-type='application/octet-stream'/>")
            slot = answer.xml.find(f"{{{UPLOAD}}}slot")
            assert slot is not None, answer
            slots.append((slot.find(f"{{{UPLOAD}}}put").get("url"), slot.find(f"{{{UPLOAD}}}get").get("url")))
        return slots
    finally:
        await client.sign_out()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xmqd", default=str(ROOT / "build" / "server" / "xmqd"))
    parser.add_argument("--size", type=int, default=100, help="MiB")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    os.environ["XMQD_BIN"] = str(Path(args.xmqd).resolve())
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        print("upload_throughput: nginx is missing (apt-get install nginx)", file=sys.stderr)
        return 2
    size = args.size * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="xmqd-upload-bench-") as tmp:
        work = Path(tmp)
        cert, key = make_certificate(work)
        body = work / "body.bin"
        with open(body, "wb") as f:
            for _ in range(args.size):
                f.write(os.urandom(1024 * 1024))

        # nginx's workers run as an unprivileged user: they write the PUT bodies.
        work.chmod(0o755)
        for sub in ("www", "nginx-body"):
            (work / sub).mkdir()
            (work / sub).chmod(0o777)
        nginx_port = free_port()
        (work / "nginx.conf").write_text(NGINX_CONF.format(work=work, port=nginx_port, cert=cert, key=key))
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(work / "nginx.conf"), "-p", str(work)],
                                 stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if (work / "nginx.pid").exists():
                    break
                time.sleep(0.05)
            base = f"https://127.0.0.1:{nginx_port}"
            nginx_up, nginx_down = measure([f"{base}/up{i}.bin" for i in range(args.reps)], f"{base}/up0.bin",
                                           body, size, args.reps)
        finally:
            nginx.terminate()
            nginx.wait(10)

        server = XmqdWeb(work / "xmqd", cert, key, name="bench")
        server.module_options["http_upload"] = {"max_file_size": size, "quota_per_account": 0, "quota_per_host": 0}
        server.write_config()
        server.add_user("bench", "bench-secret")
        server.start()
        try:
            slots = asyncio.run(xmqd_slots(server, size, args.reps))
            # The URLs name localhost: curl is sent to 127.0.0.1 like for nginx.
            resolve = ["--resolve", f"localhost:{server.https_port}:127.0.0.1"]
            ups = [mib_per_s(size, curl(*resolve, "-T", str(body), "-H", "Content-Type: application/octet-stream",
                                        put)) for put, _ in slots]
            downs = [mib_per_s(size, curl(*resolve, slots[0][1])) for _ in range(args.reps)]
            xmqd_up, xmqd_down = statistics.median(ups), statistics.median(downs)
        finally:
            server.stop()

    print(f"{args.size} MiB over TLS 1.3 on loopback, curl {args.reps}x, median MiB/s "
          f"(load average {os.getloadavg()[0]:.1f})")
    print(f"| | nginx | xmqd | xmqd/nginx |\n|---|---|---|---|")
    print(f"| upload (PUT) | {nginx_up:.0f} | {xmqd_up:.0f} | {100 * xmqd_up / nginx_up:.0f}% |")
    print(f"| download (GET) | {nginx_down:.0f} | {xmqd_down:.0f} | {100 * xmqd_down / nginx_down:.0f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
