"""`duban` subcommands of this app, registered by duban.cli."""


def register(subparsers) -> None:
    """Add this app's subcommands."""
