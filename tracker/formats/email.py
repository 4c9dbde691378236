"""E-mail templates in templates/email/: a plain-text and an HTML part for each kind."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# long_date is also read from here by the services that write subject lines with it.
from tracker.formats.display import clock_text, date_text, dose_text, long_date, number_text

EMAIL_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"


@dataclass(frozen=True)
class RenderedEmail:
    """A subject line and the two bodies of one e-mail."""

    subject: str
    text: str
    html: str


@lru_cache
def _environment() -> Environment:
    # HTML parts are escaped (names come from the database); text parts are not HTML at all.
    env = Environment(
        loader=FileSystemLoader(str(EMAIL_TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The pages' filters (tracker/web/templating.py), from the same functions; a letter to a
    # patient writes the day in full (`long_date`), as its subject line does.
    env.filters.update(
        {
            "long_date": long_date,
            "date": date_text,
            "clock": clock_text,
            "number": number_text,
            "dose": dose_text,
        }
    )
    return env


def render_email(kind: str, subject: str, context: dict) -> RenderedEmail:
    """Render `{kind}.txt` and `{kind}.html` with the same context."""
    env = _environment()
    context = {**context, "subject": subject}
    return RenderedEmail(
        subject=subject,
        text=env.get_template(f"{kind}.txt").render(context),
        html=env.get_template(f"{kind}.html").render(context),
    )
