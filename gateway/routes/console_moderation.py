"""The organiser console: the moderation queues: proposed topics and pending comments."""


class ConsoleModerationRoutes:
    pass
