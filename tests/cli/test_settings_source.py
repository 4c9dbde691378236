"""Which settings the command line runs with: in development it says which .env it read (or
that it read none) and refuses to write audit entries chained with the placeholder secret;
outside development a placeholder secret is refused outright."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXED_WIDTH
from tracker.store import migrate

PASSWORD = "a long enough password for the cli"


def run(*args: str, cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, **FIXED_WIDTH, **env},
        timeout=120,
    )


@pytest.fixture
def elsewhere(tmp_path) -> tuple[Path, dict[str, str]]:
    """A directory outside the checkout, with a migrated database and no .env."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    migrate.upgrade(url)
    env = {
        "TRACKER_DATABASE_URL": url,
        "TRACKER_ENV": "development",
        "TRACKER_AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.json"),
    }
    return tmp_path, env


def test_without_a_env_the_cli_says_so_and_refuses_to_write_audit_entries(elsewhere):
    cwd, env = elsewhere
    made = run(
        "users", "create", "ann", "--role", "admin", "--password-stdin",
        cwd=cwd, env=env, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 1, made.stdout + made.stderr
    assert f"no .env in {cwd.resolve()}" in made.stderr
    assert "TRACKER_SECRET_KEY" in made.stderr and str(cwd.resolve() / ".env") in made.stderr
    assert "Traceback" not in made.stderr
    # Nothing was written: the account is not there, and reading still works.
    listed = run("audit", "verify", cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("OK: 0 audit entries")


def test_the_env_read_is_named_and_its_secret_used(elsewhere):
    cwd, env = elsewhere
    (cwd / ".env").write_text("TRACKER_SECRET_KEY=a-real-secret-read-from-the-dot-env-file\n")
    made = run(
        "users", "create", "ann", "--role", "admin", "--password-stdin",
        cwd=cwd, env=env, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"settings: read {cwd.resolve() / '.env'}" in made.stderr
    assert run("audit", "verify", cwd=cwd, env=env).returncode == 0


def test_outside_development_a_placeholder_secret_is_refused(elsewhere):
    cwd, env = elsewhere
    refused = run("audit", "verify", cwd=cwd, env={**env, "TRACKER_ENV": "production"})
    assert refused.returncode != 0
    assert "TRACKER_SECRET_KEY must be set" in refused.stdout + refused.stderr


def test_serve_refuses_to_start_with_the_placeholder_secret(elsewhere):
    cwd, env = elsewhere
    refused = run("serve", "--port", "0", cwd=cwd, env=env)
    assert refused.returncode == 1
    assert "TRACKER_SECRET_KEY is the placeholder" in refused.stderr
