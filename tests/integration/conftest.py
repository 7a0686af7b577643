"""Fixtures for the integration suite: a certificate, xmqd processes, users, async tests.

Tests may be `async def`: each runs in its own event loop under a hard timeout
(TEST_TIMEOUT), so no pytest plugin is needed and no test can hang. Every failing
test shows the server's log from the moment the test started.

Environment: XMQD_BIN (default <repo>/build/server/xmqd), XMQD_TEST_TIMEOUT (60).
"""

from __future__ import annotations

import asyncio
import inspect
import os

import pytest

from xmqd_process import Xmqd, make_certificate, xmqd_binary

TEST_TIMEOUT = float(os.environ.get("XMQD_TEST_TIMEOUT", "60"))

# Users every module-scoped server knows. Passwords differ on purpose.
USERS = {
    "alice": "alice-secret",
    "bob": "bob-secret",
    "carol": "carol-secret",
    "dave": "dave-secret",
    "erin": "erin-secret",
}


# --------------------------------------------------------------------------- hooks


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop, bounded by TEST_TIMEOUT."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    async def bounded():
        try:
            await asyncio.wait_for(pyfuncitem.obj(**args), TEST_TIMEOUT)
        except asyncio.TimeoutError:
            pytest.fail(f"test did not finish within {TEST_TIMEOUT:.0f}s", pytrace=False)

    asyncio.run(bounded())
    return True


def _servers(item):
    found = {id(v): v for v in getattr(item, "funcargs", {}).values() if isinstance(v, Xmqd)}
    return list(found.values())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    item._xmqd_marks = {id(s): len(s.lines) for s in _servers(item)}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("call", "setup"):
        marks = getattr(item, "_xmqd_marks", {})
        for server in _servers(item):
            if server.proc is None:
                continue  # never started: no log to show
            since = marks.get(id(server), 0)
            state = "running" if server.alive() else f"exited {server.proc and server.proc.poll()}"
            report.sections.append((f"xmqd log [{server.name}, {state}, {server.config_path}]",
                                    server.log(since) or "(empty)"))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def no_sanitizer_report():
    """Fails the test during which any xmqd of the run printed a sanitizer report.

    Under build-asan a memory error or UB aborts the server, which fails the test
    anyway; this also names the report, and catches one in a server the test
    stopped itself (a leak at exit)."""
    marks = {id(s): len(s.lines) for s in Xmqd.instances}
    yield
    for server in Xmqd.instances:
        report = server.sanitizer_report(marks.get(id(server), 0))
        if report:
            pytest.fail(f"sanitizer report from xmqd [{server.name}]:\n{report}", pytrace=False)


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """(cert.pem, key.pem): self-signed for localhost, made once per run."""
    if not xmqd_binary().exists():
        pytest.exit(f"no xmqd binary at {xmqd_binary()} (build it, or set XMQD_BIN)", returncode=2)
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def make_server(tmp_path_factory, tls_cert):
    """Factory for a configured (not yet started) xmqd; stopped at the end of the run."""
    made: list[Xmqd] = []

    def make(name="xmqd", *, users=USERS, **options) -> Xmqd:
        cert, key = options.pop("cert", tls_cert)
        server = Xmqd(tmp_path_factory.mktemp(name), cert, key, name=name, **options)
        for user, password in users.items():
            server.add_user(user, password)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture(scope="module")
def module_server(request, make_server):
    """One xmqd shared by a test module, with USERS. Options: a module-level XMQD_OPTIONS dict."""
    options = getattr(request.module, "XMQD_OPTIONS", {})
    server = make_server(request.module.__name__.split(".")[-1], **options)
    server.start()
    yield server
    was_running = server.alive()
    code = server.stop()
    if was_running:
        assert code == 0, f"xmqd exited {code} on SIGTERM:\n{server.log()[-4000:]}"


@pytest.fixture
def server(module_server):
    """The module's xmqd, restarted if an earlier test killed it (so one crash fails one test)."""
    if not module_server.alive():
        module_server.lines.append("--- harness: xmqd had died; restarting for the next test\n")
        module_server.stop()
        module_server.pick_ports()
        module_server.write_config()
        module_server.start()
    return module_server


@pytest.fixture
def fresh_server(request, make_server):
    """A dedicated xmqd for one test (e.g. shutdown), stopped after it."""
    server = make_server(request.node.name.replace("[", "-").replace("]", "")[:40])
    server.start()
    yield server
    server.stop()
