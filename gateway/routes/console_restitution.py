"""The organiser console: a forum's restitution (the editor with its preview, version history and
publishing) and commitment updates."""


class ConsoleRestitutionRoutes:
    pass
