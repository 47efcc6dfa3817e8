"""Numbered schema migrations, applied in order by ``core.migrate``."""
