"""The follow-up scheduler that runs beside ``duban serve``."""


def start_background_scheduler() -> None:
    """Start the reminder loop in a daemon thread (filled in by the follow-up engine)."""
    return None
