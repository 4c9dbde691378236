"""E-mail: the sender interface (SMTP or a log), message building and templates."""
