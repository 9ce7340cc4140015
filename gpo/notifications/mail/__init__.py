"""(filled in by its slice)"""


def register(app) -> None:
    """Declare this channel's routes, pages and dispatcher channel."""
