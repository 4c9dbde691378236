"""The production topology, started on the CI machine without containers.

The local PostgreSQL, `gunicorn -c deploy/gunicorn.conf.py` with two uvicorn workers, exactly
one `tracker scheduler` and an aiosmtpd server, all real processes, set up as docs/deploy.md
says (migrations first, accounts from the command line) with the settings of
deploy/tracker.env.example, changed only where a CI machine must. Through HTTP alone it logs
in, creates a patient, records a given course and its scores, books the next one; a sweep
runs; the patient's reminder arrives once, and still once after another sweep and more runs
of the dispatcher.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from http.cookies import SimpleCookie
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.conftest import _postgres_or_skip, create_postgres_database, drop_postgres_database
from tests.conftest_mail import Received, SmtpServer, free_port, wait_until
from tests.jobs.processes import REPO, kill_hard, run_tracker, start_tracker, stop, tracker_env
from tracker.formats.email import long_date
from tracker.services import outbox
from tracker.store.engine import make_engine, session_scope
from tracker.store.models import OutboxMessage

pytestmark = pytest.mark.postgres

GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
ENV_EXAMPLE = REPO / "deploy" / "tracker.env.example"
WEB_WORKERS = 2
ROLES = ("admin", "pharmacist", "nurse")
# What nginx (deploy/nginx/ivig-tracker.conf) adds before passing a request on. TLS ends
# there, so the browser talks https and keeps the production cookies, which are Secure.
NGINX_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
SESSION_COOKIE = "__Host-tracker_session"
LOGIN_CSRF_COOKIE = "tracker_login_csrf"
PATIENT_EMAIL = "ann.smoke@example.org"
LATER_EMAIL = "bo.later@example.org"


@dataclass
class Topology:
    """The running processes, where their logs go and how to reach them."""

    env: dict[str, str]
    engine: Engine
    base_url: str
    smtp: SmtpServer
    log_dir: Path
    passwords: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    workers: set[int] = field(default_factory=set)

    @property
    def zone(self) -> ZoneInfo:
        """The site time zone, in which the reminder's days are counted."""
        return ZoneInfo(self.env["TRACKER_TIMEZONE"])

    def log(self, name: str) -> Path:
        """The log file of one process (or of the operator's commands)."""
        return self.log_dir / f"{name}.log"

    def describe(self) -> str:
        """The tail of every log, for a failure message."""
        return "\n".join(
            f"----- {path.name} -----\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.log_dir.glob("*.log"))
        )


# Settings and processes.


def _env_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of an env file, as systemd's EnvironmentFile reads them."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def deploy_env(database_url: str, smtp_port: int, web_port: int) -> dict[str, str]:
    """The settings of deploy/tracker.env.example (production), changed only where CI must."""
    example = {
        key.removeprefix("TRACKER_").lower(): value for key, value in _env_file(ENV_EXAMPLE).items()
    }
    for ours in ("database_url", "smtp_host", "smtp_port"):  # tracker_env points them here
        example.pop(ours, None)
    return tracker_env(
        database_url,
        smtp_port,
        **example
        | {
            "secret_key": secrets.token_urlsafe(48),
            # aiosmtpd on loopback speaks plain SMTP and asks for no login.
            "smtp_starttls": "false",
            "smtp_username": "",
            "smtp_password": "",
            # Fast timers instead of minutes: the outbox every second, and a sweep time already
            # past, so that the scheduler runs today's (missed) sweep as soon as it leads.
            "dispatch_interval_seconds": 1,
            "sweep_time": "00:00",
            "web_workers": WEB_WORKERS,
            "bind": f"127.0.0.1:{web_port}",
        },
    )


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    """`gunicorn -c deploy/gunicorn.conf.py`, as the systemd unit runs it."""
    # cwd elsewhere (hence the absolute config path), so that a developer's .env in the
    # checkout is not read.
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(GUNICORN), "-c", str(GUNICORN_CONF)],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def shut_down(process: subprocess.Popen, timeout: float = 30) -> int | None:
    """SIGTERM and wait for a clean exit (its code); SIGKILL (None) if it does not come."""
    try:
        return stop(process, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_hard(process)
        return None


def kill_orphaned_workers(pids: set[int]) -> None:
    """SIGKILL web workers left behind by a master that was killed (ours, by their pids)."""
    for pid in pids:
        try:
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass  # already gone


def wait_until_running(topology: Topology) -> None:
    """Wait until gunicorn answers /healthz and the scheduler has led and run its sweep."""

    def serving() -> bool:
        for name, process in topology.processes.items():
            assert process.poll() is None, f"{name} exited\n{topology.describe()}"
        try:
            return httpx.get(f"{topology.base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(serving, 60, topology.describe)
    # Its first sweep (today's, missed) is over before the staff start work, so the order
    # of what follows does not depend on how fast the machine is.
    wait_until(
        lambda: "daily sweep: swept" in topology.log("scheduler").read_text(), 60, topology.describe
    )


# Which process answers: /proc, not assumptions.


def children(parent: int) -> set[int]:
    """The pids whose parent is `parent` (for gunicorn's master: its web workers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        # After the command name in parentheses: state, then the parent's pid.
        if int(stat.rpartition(")")[2].split()[1]) == parent:
            found.add(int(entry.name))
    return found


def _server_side_inode(server_port: int, client_port: int) -> str:
    """The socket inode of the server's end of the loopback connection from client_port."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rpartition(":")[2], 16)
        remote_port = int(fields[2].rpartition(":")[2], 16)
        if (local_port, remote_port) == (server_port, client_port):
            return fields[9]
    return ""


def _holds_socket(pid: int, inode: str) -> bool:
    """True when process `pid` has the socket with this inode open."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False  # the process is gone
    for fd in fds:
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                return True
        except OSError:
            continue  # closed while we looked
    return False


def answering_worker(port: int, workers: set[int]) -> int | None:
    """Ask /healthz on a new connection; the pid of the worker holding its server end."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reply = b""
        while b'"ok"' not in reply and (chunk := connection.recv(4096)):
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
        # Still open (keep-alive), so the worker that accepted it still holds its end.
        inode = _server_side_inode(port, connection.getsockname()[1])
        return next((pid for pid in workers if inode and _holds_socket(pid, inode)), None)


def assert_two_workers_answer(topology: Topology) -> None:
    """gunicorn runs exactly two workers, and each of them answers requests."""
    master = topology.processes["gunicorn"].pid
    wait_until(lambda: len(children(master)) == WEB_WORKERS, 30, topology.describe)
    topology.workers = children(master)
    port = int(topology.env["TRACKER_BIND"].rpartition(":")[2])
    answered: set[int | None] = set()
    # The workers take turns at the shared listening socket as the kernel wakes them, so a
    # few connections reach both; the bound only keeps a broken setup from looping forever.
    for _ in range(300):
        answered.add(answering_worker(port, topology.workers))
        if answered >= topology.workers:
            break
    assert answered == topology.workers, (
        f"workers {sorted(topology.workers)}, answered by {answered}\n{topology.describe()}"
    )


# The staff's side, over HTTP only.


def set_cookies(answer: httpx.Response) -> SimpleCookie:
    """The cookies an answer sets, with their attributes."""
    jar = SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def web_login(client: httpx.Client, username: str, password: str) -> str:
    """Log in through the login page and its CSRF token; the session's Cookie header."""
    # httpx keeps Secure cookies but will not send them over plain http; behind nginx the
    # browser is on https and does, so the cookies are sent here by hand.
    form = client.get("/login")
    assert form.status_code == 200, form.text
    csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    csrf_cookie = set_cookies(form)[LOGIN_CSRF_COOKIE].value
    answer = client.post(
        "/login",
        headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={csrf_cookie}"},
        data={"username": username, "password": password, "next": "/", "login_csrf": csrf},
    )
    assert answer.status_code == 303, answer.text
    session = set_cookies(answer)[SESSION_COOKIE]
    assert session["secure"] and session["httponly"]  # production's cookie, over "https"
    return f"{SESSION_COOKIE}={session.value}"


def api_login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    """A bearer token from the API's password flow, as request headers."""
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def call(client: httpx.Client, headers: dict, path: str, body: dict) -> dict:
    """POST JSON to the API, expecting 201 Created; the answer's JSON."""
    answer = client.post(path, headers=headers, json=body)
    assert answer.status_code == 201, f"{path}: {answer.status_code} {answer.text}"
    return answer.json()


def patient_on_regimen(
    client, pharmacist, nurse, *, mrn: str, given_name: str, email: str, starts_on: date
) -> int:
    """A consenting patient with an e-mail, a weight and a 4-weekly regimen; the id."""
    patient = call(
        client,
        pharmacist,
        "/api/v1/patients",
        {
            "mrn": mrn,
            "given_name": given_name,
            "family_name": "Smoke",
            "birth_date": "1968-04-02",
            "sex": "female",
            "height_cm": 165,
            "email": email,
            "reminder_consent": True,
        },
    )
    pid = patient["id"]
    call(
        client,
        nurse,
        f"/api/v1/patients/{pid}/weights",
        {"measured_on": (starts_on - timedelta(days=1)).isoformat(), "weight_kg": 70},
    )
    call(
        client,
        pharmacist,
        f"/api/v1/patients/{pid}/regimens",
        {
            "starts_on": starts_on.isoformat(),
            "dose_g_per_kg": 1.0,
            "interval_days": 28,
            "product_code": "privigen",
            "reason": "maintenance",
        },
    )
    return pid


def record_given_course(client, nurse, pid: int, day: date) -> None:
    """The nurse records a course given on `day`, with its lot."""
    course = call(
        client,
        nurse,
        f"/api/v1/patients/{pid}/infusions",
        {
            "scheduled_on": day.isoformat(),
            "status": "given",
            "dose_g": 70,
            "product_code": "privigen",
            "lots": [
                {
                    "lot_number": "SMOKE-LOT-1",
                    "vials": 7,
                    "size_g": 10,
                    "expires_on": (day + timedelta(days=365)).isoformat(),
                }
            ],
        },
    )
    assert course["status"] == "given"


def log_scores(client, nurse, pid: int, day: date) -> None:
    """The nurse logs grip on both sides and the MRC sum, before and after the course."""
    for timing, grip, mrc in (("pre_infusion", 62, 52), ("post_infusion", 74, 55)):
        for side in ("left", "right"):
            call(
                client,
                nurse,
                f"/api/v1/patients/{pid}/assessments",
                {
                    "taken_on": day.isoformat(),
                    "measure": "grip_vigorimeter",
                    "side": side,
                    "value": grip,
                    "timing": timing,
                },
            )
        call(
            client,
            nurse,
            f"/api/v1/patients/{pid}/assessments",
            {"taken_on": day.isoformat(), "measure": "mrc_sum", "value": mrc, "timing": timing},
        )


def book(client, pharmacist, pid: int, day: date, chair: str, start: str = "09:00") -> int:
    """The pharmacist books a course on a chair; its id."""
    course = call(
        client,
        pharmacist,
        f"/api/v1/patients/{pid}/infusions",
        {"scheduled_on": day.isoformat(), "start_time": start, "chair": chair},
    )
    assert course["status"] == "booked"
    return course["id"]


# What arrived, and what the outbox says.


def mail_to(topology: Topology, address: str) -> list[Received]:
    """The messages the SMTP server has received for `address` so far."""
    return [r for r in topology.smtp.collector.messages() if address in r.rcpt_tos]


def wait_for_mail_to(topology: Topology, address: str) -> None:
    """Wait (bounded) until a message for `address` has arrived."""
    wait_until(
        lambda: mail_to(topology, address),
        30,
        lambda: f"nothing for {address}\n{topology.describe()}",
    )


def reminder_rows(topology: Topology, infusion_id: int) -> list[tuple]:
    """The outbox's reminder rows of one course: (status, message_id, sent_at)."""
    with session_scope(topology.engine, write=False) as session:
        return [
            tuple(row)
            for row in session.exec(
                select(OutboxMessage.status, OutboxMessage.message_id, OutboxMessage.sent_at).where(
                    OutboxMessage.infusion_id == infusion_id, OutboxMessage.kind == outbox.REMINDER
                )
            ).all()
        ]


def wait_for_reminder(topology: Topology, infusion_id: int) -> None:
    """Wait (bounded) until the course's reminder has arrived and its row is marked sent."""
    wait_for_mail_to(topology, PATIENT_EMAIL)
    # The dispatcher marks the row in its own transaction just after the server accepted
    # the message, so the mark can trail the arrival by a moment.
    wait_until(
        lambda: [row[0] for row in reminder_rows(topology, infusion_id)] == ["sent"],
        30,
        lambda: f"{reminder_rows(topology, infusion_id)}\n{topology.describe()}",
    )


def assert_one_reminder(topology: Topology, infusion_id: int, day: date) -> None:
    """Exactly one reminder for the course arrived, and its outbox row is marked sent."""
    arrived = mail_to(topology, PATIENT_EMAIL)
    assert len(arrived) == 1, f"{len(arrived)} messages arrived\n{topology.describe()}"
    reminder = arrived[0]
    assert reminder.rcpt_tos == (PATIENT_EMAIL,)
    assert reminder.mail_from == parseaddr(topology.env["TRACKER_MAIL_FROM"])[1]
    assert reminder.message["Subject"] == f"Reminder: your appointment on {long_date(day)}"
    assert [part.get_content_type() for part in reminder.message.iter_attachments()] == [
        "text/calendar"
    ]
    [(status, message_id, sent_at)] = reminder_rows(topology, infusion_id)
    assert (status, message_id) == ("sent", reminder.message_id) and sent_at is not None
    assert topology.smtp.collector.copies_by_message_id()[message_id] == 1


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped after (skips without a server)."""
    base = _postgres_or_skip()
    url = create_postgres_database(base)
    try:
        yield url
    finally:
        drop_postgres_database(base, url)


@pytest.fixture
def topology(fresh_postgres, smtp_server, tmp_path) -> Iterator[Topology]:
    """The whole topology running on a migrated database with three staff accounts."""
    web_port = free_port()
    running = Topology(
        env=deploy_env(fresh_postgres, smtp_server.port, web_port),
        engine=make_engine(fresh_postgres),
        base_url=f"http://127.0.0.1:{web_port}",
        smtp=smtp_server,
        log_dir=tmp_path,
        passwords={role: secrets.token_urlsafe(18) for role in ROLES},
    )
    # Migrations first (docs/deploy.md), then the services; the accounts are made while
    # they boot, as an operator may on a live system (and it saves the test seconds).
    run_tracker(["db", "upgrade"], running.env, running.log("operator"))
    try:
        running.processes["gunicorn"] = start_gunicorn(running.env, running.log("gunicorn"))
        running.processes["scheduler"] = start_tracker(
            ["scheduler"], running.env, running.log("scheduler")
        )
        for role, password in running.passwords.items():
            run_tracker(
                ["users", "create", f"smoke.{role}", "--role", role, "--password-stdin"],
                running.env,
                running.log("operator"),
                stdin=f"{password}\n",
            )
        wait_until_running(running)
        yield running
    finally:
        for process in running.processes.values():
            shut_down(process)
        kill_orphaned_workers(running.workers)
        running.engine.dispose()
        print(running.describe())  # pytest shows this only when the test failed


def test_two_web_workers_and_one_scheduler_send_the_reminder_exactly_once(topology):
    assert_two_workers_answer(topology)
    today = datetime.now(topology.zone).date()
    with httpx.Client(base_url=topology.base_url, headers=NGINX_HEADERS, timeout=15) as client:
        admin_session = web_login(client, "smoke.admin", topology.passwords["admin"])
        pharmacist = api_login(client, "smoke.pharmacist", topology.passwords["pharmacist"])
        nurse = api_login(client, "smoke.nurse", topology.passwords["nurse"])
        assert client.get("/healthz").headers["strict-transport-security"]  # production

        last_course = today - timedelta(days=26)
        pid = patient_on_regimen(
            client,
            pharmacist,
            nurse,
            mrn="SMOKE-1",
            given_name="Ann",
            email=PATIENT_EMAIL,
            starts_on=last_course,
        )
        record_given_course(client, nurse, pid, last_course)
        log_scores(client, nurse, pid, last_course)
        chair = client.get("/api/v1/chairs", headers=pharmacist).json()[0]["code"]
        # Due 28 days after the last course, and within the 3 days before it that reminders
        # are written for.
        # The suite is closed at weekends: of the days 1 to 3 ahead, one is a weekday.
        next_course = next(
            today + timedelta(days=d)
            for d in (2, 1, 3)
            if (today + timedelta(days=d)).weekday() < 5
        )
        infusion_id = book(client, pharmacist, pid, next_course, chair)

        run_tracker(["sweep"], topology.env, topology.log("operator"))
        wait_for_reminder(topology, infusion_id)
        assert_one_reminder(topology, infusion_id, next_course)

        # Sweep again; then a later patient's reminder, written after that sweep, arrives:
        # the dispatcher has run since, and anything the sweep wrote would have gone first.
        run_tracker(["sweep"], topology.env, topology.log("operator"))
        later = patient_on_regimen(
            client,
            pharmacist,
            nurse,
            mrn="SMOKE-2",
            given_name="Bo",
            email=LATER_EMAIL,
            starts_on=today - timedelta(days=27),
        )
        # The same open day as the first course, in the afternoon (the suite is closed at
        # weekends, so "tomorrow" may not be bookable).
        book(client, pharmacist, later, next_course, chair, start="13:15")
        wait_for_mail_to(topology, LATER_EMAIL)
        assert_one_reminder(topology, infusion_id, next_course)

        page = client.get("/outbox?status=sent", headers={"Cookie": admin_session})
        assert page.status_code == 200 and PATIENT_EMAIL in page.text
        assert f"Reminder: your appointment on {long_date(next_course)}" in page.text

    assert shut_down(topology.processes["gunicorn"]) == 0, topology.describe()
    assert shut_down(topology.processes["scheduler"]) == 0, topology.describe()
    scheduler_log = topology.log("scheduler").read_text()
    assert scheduler_log.count("now the active scheduler") == 1
    assert "daily sweep: swept" in scheduler_log and "scheduler stopped" in scheduler_log
    web_log = topology.log("gunicorn").read_text()
    # The warned-against bug: a scheduler inside every web worker.
    assert "scheduler started" not in web_log
    # forwarded_allow_ips trusts the proxy on loopback: the audit sees the browser's address.
    assert f'{NGINX_HEADERS["X-Forwarded-For"]}:0 - "POST /login' in web_log
    for log in (scheduler_log, web_log):
        assert "Traceback" not in log and "[ERROR]" not in log, topology.describe()
