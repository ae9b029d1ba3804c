"""The operators' commands, by what they act on; ``engagement/cli.py`` gathers them."""
