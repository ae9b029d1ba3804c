"""The magazine's CMS: the API it registers articles through, with their moderation settings."""
