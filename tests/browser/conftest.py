"""Real-browser tests: Playwright driving Debian's chromium against the real server.

Once for the browser tests, ``selfassess demo --serve`` starts as a subprocess on a free port with a
throwaway SQLite database and the demo data, exactly as ``./run demo`` does; the tests wait for
``/health`` and stop it afterwards. The demo is loaded once for the whole run (``selfassess demo``
into a folder the test workers share) and each server starts on a copy of it, which ``demo``
finds loaded: a demo load is the dearest part of starting a server, and every worker that runs a
browser test starts one. Browser tests run on SQLite only: the HTTP tests run every route
on SQLite and PostgreSQL, and the browser adds what only a browser can show (htmx swaps, focus,
keyboard use, accessibility, Content-Security-Policy), which does not depend on the database.

Playwright never downloads a browser: it launches Debian's Chromium in its headless shell,
/usr/bin/chromium-headless-shell (``./run test`` installs it; SELFASSESS_CHROMIUM points elsewhere,
such as /usr/bin/chromium). The shell is the same Chromium build as Debian's ``chromium`` without
the windowed browser around it, and is what Playwright itself runs for headless tests: it takes
half the CPU time for the same pages. Skip these tests with ``-m "not browser"``.

Every test gets a fresh browser context (no cookies) and a page that fails the test on any
JavaScript error or Content-Security-Policy violation. Write journeys with the helpers in
``tests/browser/harness.py``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from aiosmtpd.controller import Controller  # noqa: E402
from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.mail_sink import SmtpSink, free_port  # noqa: E402

CHROMIUM = os.environ.get("SELFASSESS_CHROMIUM", "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous: a server that loads the demo (the outage test's, on PostgreSQL) on a busy 2-core machine
# takes well over a minute; a server that does not start fails here, not later.
START_TIMEOUT_SECONDS = 180
# How long a step (a click, a navigation, an `expect`) may take before the test fails. A step takes
# well under a second alone; with the whole suite on a 2-core machine, a journey's step once took
# over Playwright's default five seconds, and the journey failed for nothing it tests.
STEP_TIMEOUT_MS = 10_000
# Every context opens at this size (a desktop); a journey that narrows a page to a phone widens it back.
DESKTOP = {"width": 1280, "height": 860}
expect.set_options(timeout=STEP_TIMEOUT_MS)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by database
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/browser is a browser test, including modules added later, and they run
    first: under pytest-xdist they fall to one worker (its half of the queue starts with them; the
    others steal only from a queue's end) while the others run the database tests, so only that
    worker starts a live server and a chromium. Last in the order, they were split among the
    workers at the end of the run, and each started its own."""
    here = Path(__file__).parent
    browser = [item for item in items if here in item.path.parents]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    items[:] = browser + [item for item in items if here not in item.path.parents]


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    environment: dict[str, str]
    mail: SmtpSink

    def send_mail(self) -> list[EmailMessage]:
        """Run the send-mail job as cron would; what the mail server has received so far."""
        subprocess.run(
            [sys.executable, "-m", "selfassess.cli", "send-mail"],
            cwd=self.data_dir,
            env=self.environment,
            check=True,
            capture_output=True,
        )
        return list(self.mail.received)

    @property
    def database(self) -> Path:
        return self.data_dir / "selfassess.db"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"the server stopped while starting (exit {server.process.returncode}):\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /health within {START_TIMEOUT_SECONDS}s:\n{server.log_tail()}")


@pytest.fixture(scope="package")
def server_mail() -> Iterator[tuple[SmtpSink, int]]:
    """A real SMTP server the live server's send-mail job delivers to."""
    sink, port = SmtpSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


SECRET_KEY = "browser-tests-secret-key-not-for-production"


def server_environment(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment of a server the browser tests start: only what we set (a developer's own
    SELFASSESS_DATABASE_URL must not leak in), cheap password hashing, and ``settings`` on top."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SELFASSESS_")}
    environment.update(
        SELFASSESS_DATA_DIR=str(data_dir),
        SELFASSESS_HOST="127.0.0.1",
        SELFASSESS_PORT=str(port),
        SELFASSESS_SECRET_KEY=SECRET_KEY,
        SELFASSESS_PASSWORD_HASH_MEMORY_KIB="1024",
        SELFASSESS_PASSWORD_HASH_TIME_COST="1",
        SELFASSESS_BASE_URL=f"http://127.0.0.1:{port}",
    )
    environment.update(settings)
    return environment


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder, shared by its test workers (each has a folder inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the demo loaded, made by the first worker that asks (the others wait for
    it) and only copied from: a server on a copy skips the load as ``./run demo`` does the second time."""
    shared = _run_folder(tmp_path_factory)
    loaded = shared / "demo-data"
    with (shared / "demo-data.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (loaded / "done").exists():
            shutil.rmtree(loaded, ignore_errors=True)
            loaded.mkdir()
            loading = subprocess.run(
                [sys.executable, "-m", "selfassess.cli", "demo"],
                cwd=loaded,
                env=server_environment(loaded, _free_port()),
                capture_output=True,
                text=True,
            )
            if loading.returncode:
                pytest.fail(f"the demo did not load (exit {loading.returncode}):\n{loading.stderr[-3000:]}")
            (loaded / "done").touch()
    return loaded


def data_folder_with_demo(tmp_path_factory: pytest.TempPathFactory, demo_data: Path, name: str) -> Path:
    """A new data folder holding a copy of the loaded demo."""
    data_dir = tmp_path_factory.mktemp(name)
    shutil.copytree(demo_data, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("done"))
    return data_dir


@contextmanager
def running_server(
    data_dir: Path, port: int, environment: dict[str, str], mail: SmtpSink | None = None
) -> Iterator[LiveServer]:
    """``selfassess demo --serve`` in ``data_dir`` (its output in server.log there), stopped on
    leaving; not yet waited for (``_wait_until_healthy``)."""
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "selfassess.cli", "demo", "--serve"],
            cwd=data_dir,  # no .env from the developer's checkout
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", data_dir, process, log_path, environment, mail)  # type: ignore[arg-type]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def demo_server(
    tmp_path_factory: pytest.TempPathFactory,
    demo_data: Path,
    name: str,
    mail: tuple[SmtpSink, int] | None = None,
    **settings: str,
) -> Iterator[LiveServer]:
    """A server on a copy of the loaded demo, on a free port (``settings`` on top of the usual
    environment; ``mail``: the SMTP server its send-mail job delivers to); not yet waited for."""
    data_dir = data_folder_with_demo(tmp_path_factory, demo_data, name)
    port = _free_port()
    if mail:
        settings.update(SELFASSESS_SMTP_HOST="127.0.0.1", SELFASSESS_SMTP_PORT=str(mail[1]))
    environment = server_environment(data_dir, port, **settings)
    with running_server(data_dir, port, environment, mail[0] if mail else None) as server:
        yield server


@pytest.fixture(scope="package")
def server_process(
    tmp_path_factory: pytest.TempPathFactory, server_mail: tuple[SmtpSink, int], demo_data: Path
) -> Iterator[LiveServer]:
    """Started first and left to start while chromium starts; ``live_server`` waits for it."""
    with demo_server(tmp_path_factory, demo_data, "browser-server", server_mail) as server:
        yield server


@pytest.fixture(scope="package")
def live_server(server_process: LiveServer) -> LiveServer:
    """The real service with the demo data, answering on a free port."""
    _wait_until_healthy(server_process)
    return server_process


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # Package scope: the sync API marks its event loop as running in this thread while it is open,
    # so it must be stopped before the asyncio tests in other folders run.
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright, server_process: LiveServer) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No chromium at {CHROMIUM}. `./run test` installs Debian's chromium-headless-shell, or set "
            'SELFASSESS_CHROMIUM, or leave these tests out with -m "not browser".'
        )
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()


def _new_context(browser: Browser, server: LiveServer) -> BrowserContext:
    context = browser.new_context(
        base_url=server.url,
        viewport=DESKTOP,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for the test."""
    context = _new_context(browser, live_server)
    yield context
    context.close()


def _is_problem(message: ConsoleMessage) -> bool:
    if message.type != "error":
        return False
    # Chromium logs every 4xx answer; a form that is sent back with its errors is one (422).
    return not message.text.startswith("Failed to load resource: the server responded with a status of 4")


def _watch(page: Page, problems: list[str]) -> Page:
    page.on("console", lambda message: problems.append(message.text) if _is_problem(message) else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return page


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on a JavaScript error or a Content-Security-Policy violation."""
    problems: list[str] = []
    yield _watch(context.new_page(), problems)
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[], Page]]:
    """Another person at another computer: ``other = new_page()`` is a page with its own cookies."""
    opened: list[BrowserContext] = []
    problems: list[str] = []

    def make() -> Page:
        opened.append(_new_context(browser, live_server))
        return _watch(opened[-1].new_page(), problems)

    yield make
    for other in opened:
        other.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)
