"""Who a record is: one MRN however it is typed, and when two records are likely one person."""

from __future__ import annotations

from datetime import date


def mrn_key(mrn: str) -> str:
    """The MRN as compared: trimmed, case-folded, punctuation and spaces removed.

    `BAD65252`, `bad65252` and `BAD65252.` are one MRN; the key is what must be unique.
    """
    return "".join(c for c in mrn.strip().casefold() if c.isalnum())


def name_key(name: str) -> str:
    """A name as compared for likely duplicates: case-folded, runs of spaces made one."""
    return " ".join(name.casefold().split())


def same_person(a: tuple[str, str, date], b: tuple[str, str, date]) -> bool:
    """True when two (given name, family name, birth date) are likely the same person."""
    return (name_key(a[0]), name_key(a[1]), a[2]) == (name_key(b[0]), name_key(b[1]), b[2])
