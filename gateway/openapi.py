"""The OpenAPI 3.1 document, generated from the marshmallow schemas that validate the requests."""

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway import schemas


def problem(description):
    return {"description": description, "content": {"application/problem+json": {"schema": "Problem"}}}


def ok(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ORGANISER = [{"organiserToken": []}]
FORUM_ID = {
    "name": "forum_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
PATHS = {
    "/api/v1/forums": {
        "post": {
            "summary": "Create a forum (organisers)",
            "security": ORGANISER,
            "requestBody": {"required": True, "content": {"application/json": {"schema": "ForumCreate"}}},
            "responses": {
                "201": ok("The forum; its address is in Location", "Forum"),
                "400": problem("Malformed JSON or invalid fields (see errors)"),
                "401": problem("No organiser token"),
                "403": problem("Not an organiser token"),
            },
        }
    },
    "/api/v1/forums/{forum_id}": {
        "parameters": [FORUM_ID],
        "get": {
            "summary": "A forum, with the seats left",
            "responses": {"200": ok("The forum", "Forum"), "404": problem("No such forum")},
        },
    },
    "/api/v1/forums/{forum_id}/registrations": {
        "parameters": [FORUM_ID],
        "post": {
            "summary": "Register to attend: confirmed while seats remain, waitlisted after",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": "RegistrationCreate"}},
            },
            "responses": {
                "201": ok("The registration, confirmed or waitlisted", "Registration"),
                "400": problem("Malformed JSON or invalid fields (see errors)"),
                "404": problem("No such forum"),
                "409": problem("Already registered with this address, or registration closed"),
            },
        },
    },
    "/health/live": {
        "get": {"summary": "The gateway process answers", "responses": {"200": {"description": "Alive"}}}
    },
    "/health/ready": {
        "get": {
            "summary": "Broker, database and services reachable",
            "responses": {"200": {"description": "Ready"}, "503": problem("Something is not reachable")},
        }
    },
}


def build_openapi(public_base_url):
    spec = APISpec(
        title="Open d'Etat forums API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        servers=[{"url": public_base_url}],
        info={"description": "Forums of the Open d'Etat series: registration and more."},
    )
    spec.components.security_scheme("organiserToken", {"type": "http", "scheme": "bearer"})
    for name in ("ForumCreate", "Forum", "RegistrationCreate", "Registration", "Problem"):
        spec.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    for path, operations in PATHS.items():
        operations = dict(operations)
        spec.path(path=path, parameters=operations.pop("parameters", None), operations=operations)
    return spec.to_dict()
