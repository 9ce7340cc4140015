"""stub"""


def register(app) -> None:
    pass
