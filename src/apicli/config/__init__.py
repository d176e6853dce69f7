"""Profiles: named API settings from the TOML config file."""
