"""The widget magazine pages embed: its script, stylesheet and messages, and the demo article."""
