"""The errors this service raises on purpose; the gateway maps each (by class name) to an HTTP status."""


class TopicsError(Exception):
    """Base of the expected errors: answered as 4xx by the gateway (by class name)."""


class _FieldErrors(TopicsError):
    """Errors by field, marshmallow-like: ``{"choices": ["at most 3 topics"]}``.

    The dict is the exception's only argument, so it crosses RPC in ``exc_args``; ``str()`` reads as one
    line (``choices: at most 3 topics``), which is what the gateway shows as the detail.
    """

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors

    def __str__(self):
        return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in self.errors.items())


class BallotInvalid(_FieldErrors):
    """A ballot, or an organiser's paper tally, that the round cannot take."""


class RoundInvalid(_FieldErrors):
    """A round's method or parameters that make no sense (no choice at all, a cap above the budget)."""
