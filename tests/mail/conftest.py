"""Fixtures for the job tests: the loopback SMTP server."""

from tests.conftest_mail import smtp_server  # noqa: F401
