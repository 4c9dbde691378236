"""The id of a stored row, typed as the int it is once the row is in the database."""

from typing import Protocol


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Row) -> int:
    """A row's id; the row must have been read from the database or flushed to it."""
    if row.id is None:
        # A table's id is None only between constructing the row and flushing it.
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
