"""Periodic duties: the recovery sweep now; cron triggers, retention and audit sealing later."""
