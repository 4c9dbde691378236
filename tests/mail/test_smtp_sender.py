"""The SMTP sender against a real server: STARTTLS and login when set, and error kinds."""

import smtplib
import ssl

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.builders.settings import mail_settings
from tests.conftest_mail import SmtpServer, free_port
from tracker.formats.mime import build_message, new_message_id
from tracker.mail.sender import describe, is_permanent
from tracker.mail.smtp import SmtpSender
from tracker.store.types import utcnow


def _message(to: str = "ann@example.org"):
    return build_message(
        mail_from="infusions@hospital.example",
        from_name="Northside Infusion Suite",
        to_address=to,
        subject="Reminder",
        body_text="See you soon.",
        body_html="<p>Soon</p>",
        attachments=[],
        message_id=new_message_id("infusions@hospital.example"),
        date=utcnow(),
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A certificate for 127.0.0.1 and localhost from a throwaway authority: (cert, key, ca)."""
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca = folder / "ca.pem"
    authority.cert_pem.write_to_path(str(ca))
    return cert, key, ca


@pytest.fixture
def tls_server(certificate):
    """A server that insists on STARTTLS and then on a login."""
    cert, key, _ = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server, session, envelope, mechanism, data):
        if isinstance(data, LoginPassword):
            logins.append((data.login, data.password))
            ok = data.password == b"s3cret"
            # handled=False: let the server answer 535 itself.
            return AuthResult(success=ok, handled=ok, auth_data=data)
        return AuthResult(success=False, handled=False)

    server = SmtpServer(
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticate,
    ).start()
    server.logins = logins
    yield server
    server.stop()


def test_starttls_and_login_when_set(tls_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[2]))  # trust the test authority
    settings = mail_settings(
        tls_server.port, smtp_starttls=True, smtp_username="tracker", smtp_password="s3cret"
    )
    with SmtpSender(settings) as sender:
        sender.send(_message("ann@example.org"))
        sender.send(_message("bob@example.org"))  # the same connection, still logged in
    received = tls_server.collector.messages()
    assert [r.rcpt_tos for r in received] == [("ann@example.org",), ("bob@example.org",)]
    assert tls_server.logins == [(b"tracker", b"s3cret")]

    wrong = mail_settings(
        tls_server.port, smtp_starttls=True, smtp_username="tracker", smtp_password="guess"
    )
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused, SmtpSender(wrong) as s:
        s.send(_message())
    assert not is_permanent(refused.value)  # a setting to fix, then retry


def test_without_starttls_the_server_refuses_and_nothing_is_sent(tls_server):
    with pytest.raises(smtplib.SMTPException), SmtpSender(mail_settings(tls_server.port)) as s:
        s.send(_message())
    assert tls_server.collector.count() == 0


def test_an_untrusted_certificate_is_refused(tls_server):
    settings = mail_settings(
        tls_server.port, smtp_starttls=True, smtp_username="tracker", smtp_password="s3cret"
    )
    with pytest.raises(ssl.SSLCertVerificationError), SmtpSender(settings) as sender:
        sender.send(_message())
    assert tls_server.logins == []


def test_refused_recipient_is_permanent_and_the_connection_goes_on(smtp_server):
    smtp_server.collector.refuse.add("gone@example.org")
    with SmtpSender(mail_settings(smtp_server.port)) as sender:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            sender.send(_message("gone@example.org"))
        sender.send(_message("ann@example.org"))
    assert is_permanent(refused.value)
    assert describe(refused.value) == "recipient refused: 550 5.1.1 No such user here"
    assert [r.rcpt_tos for r in smtp_server.collector.messages()] == [("ann@example.org",)]


def test_no_server_is_a_temporary_failure():
    with pytest.raises(OSError) as down, SmtpSender(mail_settings(free_port())) as sender:
        sender.send(_message())
    assert not is_permanent(down.value)
    assert describe(down.value).startswith("ConnectionRefusedError")
