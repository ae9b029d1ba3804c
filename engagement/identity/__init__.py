"""Readers the magazine signed in: sign-in tokens (SSO), reader sessions, trust."""
