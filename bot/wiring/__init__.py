"""The wiring: the Bolt app, the runtime that starts and stops it, the HTTP server, the CLI."""
