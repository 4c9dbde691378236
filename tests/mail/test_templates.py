"""The e-mail templates: names are escaped in HTML and left alone in plain text."""

from datetime import date, time

from tracker.formats.email import render_email


def test_html_is_escaped_and_text_is_not():
    mail = render_email(
        "infusion_reminder",
        "Reminder",
        {
            "first_name": "<b>Jo</b> & Co",
            "day": date(2026, 3, 5),
            "start_time": time(9, 0),
            "days": 1,
            "location": "Chair 1",
            "site_name": "Unit",
            "phone": "",
        },
    )
    assert "&lt;b&gt;Jo&lt;/b&gt; &amp; Co" in mail.html and "<b>Jo</b>" not in mail.html
    assert "Dear <b>Jo</b> & Co," in mail.text
    assert "Thursday 5 March 2026 at 09:00" in mail.text
    assert "please contact Unit" in mail.text  # no phone number set
