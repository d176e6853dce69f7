"""The run's Client, --until polling, and the transfer figures -w reports."""
