"""Text formats that services, interop, mail and the pages all write, with no I/O.

`display` (dates, numbers and doses as people read them), `email` (the e-mail templates),
`mime` (an outbox row as a MIME message and its Message-ID), `ics` and `appointments`
(iCalendar events of courses), `csv_cells` (CSV cells safe to open in a spreadsheet).

Pure: no database, no services, no settings. Imports only the standard library, third-party
libraries, `tracker.rules` and itself, so every layer above the rules may use it.
"""
