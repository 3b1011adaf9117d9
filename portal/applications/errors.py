"""The one exception of the applications domain: a refusal with a French message for the person."""


class ApplicationError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
