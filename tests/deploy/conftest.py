"""Fixtures for the deployment smoke test: the loopback SMTP server."""

from tests.conftest_mail import smtp_server  # noqa: F401
