"""Mentorbot without a Slack workspace: the Slack double and the demo data that drive it."""
