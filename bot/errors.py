"""Domain errors. Their message is written for the person who caused them and is safe to show."""


class UserError(Exception):
    """Bad input or a forbidden action: shown to the user as is, nothing changed."""


class NotFound(UserError):
    """The thing asked for does not exist in this workspace (or is not the asker's to see)."""


class Forbidden(UserError):
    """The asker may not do this."""


class FieldErrors(UserError):
    """Several form fields are wrong; maps a modal's block_id to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
