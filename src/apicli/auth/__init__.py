"""Credentials fetched while the run goes: OAuth2 client-credentials tokens and --auth-command."""
