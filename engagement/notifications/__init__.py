"""Notifications and integrations: the outbox, reply mails, moderator alerts, webhooks."""
