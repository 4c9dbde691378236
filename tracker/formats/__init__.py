"""Text formats that services and interop both write: iCalendar events of courses (`ics`,
`appointments`) and CSV cells safe to open in a spreadsheet (`csv_cells`).

Pure: no database, no services, no settings. Imports only the standard library, third-party
libraries and `tracker.rules`, so every layer above the rules may use it.
"""
