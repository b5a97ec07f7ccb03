"""The organiser console: forums: create and edit a forum and its quotas, open, close, hold or cancel it with the reason."""


class ConsoleForumRoutes:
    pass
