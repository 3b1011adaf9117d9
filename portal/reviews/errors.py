class ReviewError(Exception):
    """A refusal the user caused, with its French message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
