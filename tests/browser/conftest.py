"""A real headless Chromium (Debian's, driven by Playwright) against a real server."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tracker.settings import Settings
from tracker.store import migrate
from tracker.store.engine import make_engine

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("TRACKER_REQUIRE_BROWSER") == "1"
# Flags for a closed network: no background calls home, no GPU, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (TRACKER_TEST_ARTIFACTS, default test-artifacts/)."""
    path = Path(os.environ.get("TRACKER_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium():
    """A Playwright browser on Debian's Chromium; skips locally, fails in CI, if missing."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_site(tmp_path):
    """A migrated SQLite file and a real uvicorn server on it: (base URL, engine)."""
    import uvicorn

    from tracker.web.app import create_app

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(
        env="test", secret_key="browser-test-secret-0123456789abcdef", database_url=url
    )
    listening = socket.socket()  # handed to the server bound: no other process can take it
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()
    engine.dispose()
