"""The organiser console: the delivery log and dead letters, with retry; the CSV downloads."""


class ConsoleEmailRoutes:
    pass
