"""The shapes of the HTTP API: these schemas validate requests and generate the OpenAPI document.

Request schemas are named ``<Thing>Create``, ``<Thing>Update``, ``<Thing>Query``; the others describe
answers (the gateway passes the services' JSON through; they document it).
"""

from gateway.schemas.common import (
    LOCALES,
    STAKEHOLDER_GROUPS,
    AcceptedSchema,
    EmailSchema,
    PageQuerySchema,
    ProblemSchema,
)
from gateway.schemas.forums import (
    ForumCancelSchema,
    ForumCreateSchema,
    ForumListQuerySchema,
    ForumListSchema,
    ForumSchema,
    ForumUpdateSchema,
    VenueSchema,
)
from gateway.schemas.notifications import (
    DeliveriesRetriedSchema,
    DeliveryListSchema,
    DeliveryRetrySchema,
    DeliverySchema,
    DeliverySummarySchema,
    MessagePreviewSchema,
    TemplateListSchema,
)
from gateway.schemas.people import (
    ErasureSchema,
    PersonExportSchema,
    PersonSchema,
    SubscriptionCreateSchema,
    SubscriptionSchema,
)
from gateway.schemas.registrations import (
    AttendanceCountsSchema,
    AttendanceSchema,
    CheckInResultSchema,
    CheckInSchema,
    ConsentsSchema,
    ConsentsUpdateSchema,
    ParticipantSchema,
    RegistrationCreateSchema,
    RegistrationListQuerySchema,
    RegistrationListSchema,
    RegistrationSchema,
    RegistrationSummarySchema,
    SummaryCountsSchema,
)

__all__ = [
    "AcceptedSchema",
    "AttendanceCountsSchema",
    "AttendanceSchema",
    "CheckInResultSchema",
    "CheckInSchema",
    "ConsentsSchema",
    "ConsentsUpdateSchema",
    "DeliveriesRetriedSchema",
    "DeliveryListSchema",
    "DeliveryRetrySchema",
    "DeliverySchema",
    "DeliverySummarySchema",
    "EmailSchema",
    "ErasureSchema",
    "ForumCancelSchema",
    "ForumCreateSchema",
    "ForumListQuerySchema",
    "ForumListSchema",
    "ForumSchema",
    "ForumUpdateSchema",
    "LOCALES",
    "MessagePreviewSchema",
    "PageQuerySchema",
    "ParticipantSchema",
    "PersonExportSchema",
    "PersonSchema",
    "ProblemSchema",
    "RegistrationCreateSchema",
    "RegistrationListQuerySchema",
    "RegistrationListSchema",
    "RegistrationSchema",
    "RegistrationSummarySchema",
    "STAKEHOLDER_GROUPS",
    "SubscriptionCreateSchema",
    "SubscriptionSchema",
    "SummaryCountsSchema",
    "TemplateListSchema",
    "VenueSchema",
]
