"""The participant's forms behind their session: proposing a topic, commenting on a restitution or a
commitment."""


class ParticipantFormRoutes:
    pass
