"""Text cells of the CSV files people open in a spreadsheet: never run as a formula."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell that a spreadsheet will not run as a formula (a leading ' is added)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def unsafe_text(value: str) -> str:
    """Undo safe_text: the ' before a formula-like start is ours, not the data's."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value
