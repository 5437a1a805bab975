"""The one exception type crossref raises for bad input from a user."""


class UsageError(ValueError):
    """Bad input from the user (an option, a pattern, a file). The message names the value."""
