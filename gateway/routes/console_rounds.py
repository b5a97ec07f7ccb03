"""The organiser console: a forum's prioritisation rounds: open, watch participation, close, enter a paper tally."""


class ConsoleRoundRoutes:
    pass
