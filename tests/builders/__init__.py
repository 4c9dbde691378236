"""Test data builders, in one place, one module per way in:

- `facts`: plain facts for the rules (no database);
- `rows`: rows written straight through the table models (quick; no service checks);
- `records`: rows written through the services, as the API would (checked, audited);
- `api`: data made over the JSON API with a test client and a bearer token;
- `pages`: logging in to the pages, posting forms with their CSRF token, page clients;
- `settings`: settings for the mail and job tests.
"""
