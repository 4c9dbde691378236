"""Input and output schemas, shared by the JSON API and the pages (inputs are validated here)."""
