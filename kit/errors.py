"""Errors by field, shared by the services whose rules answer with them (topics, restitution)."""


class FieldErrors(Exception):
    """Errors by field, marshmallow-like: ``{"choices": ["at most 3 topics"]}``.

    The dict is the exception's only argument, so it crosses RPC in ``exc_args``; ``str()`` reads as one
    line (``choices: at most 3 topics; method: one of approval, dots, ranked``), which is what the gateway
    shows as the detail and splits back into fields (``gateway.errors.by_field``): a message therefore
    never holds "; ". A service's own errors subclass both this and the service's base error, so that
    they stay among its ``EXPECTED``.
    """

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors

    def __str__(self):
        return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in self.errors.items())
