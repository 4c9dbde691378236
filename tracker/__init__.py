"""ivig-tracker: maintenance IVIG planning around each patient's measured response."""

__version__ = "0.1.0"
