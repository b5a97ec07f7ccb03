"""The OpenAPI 3.1 document, generated from the routes themselves and the marshmallow schemas that
validate their requests: each ``@api(..., doc=Doc(...))`` says what it takes, who may call it and what
it answers; errors come from the one table in ``gateway.errors``."""

import inspect
import re
from collections import defaultdict
from dataclasses import dataclass

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway import schemas
from gateway.errors import REMOTE_ERRORS

PUBLIC, ORGANISER, PERSON, EITHER, SEES_MORE = "public", "organiser", "person", "either", "sees_more"
SECURITY = {
    PUBLIC: [],
    ORGANISER: [{"organiserToken": []}],
    PERSON: [{"participantToken": []}],
    EITHER: [{"organiserToken": []}, {"participantToken": []}],
    SEES_MORE: [{}, {"organiserToken": []}],  # anyone; organisers see more
}
AUTH_ERRORS = {
    ORGANISER: {
        401: "No organiser token, or one revoked or unknown",
        403: "A token that is not an organiser's (a participant's), or a read token on a route that changes",
    },
    PERSON: {401: "No token from an emailed link", 403: "An organiser token: this route acts as a person"},
    EITHER: {401: "Neither an organiser token nor the token from an emailed link"},
}
HEADERS = {
    "Location": {"description": "The new resource", "schema": {"type": "string"}},
    "Content-Disposition": {"description": "attachment, with a file name", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}},
}
SAFE = ("GET", "HEAD", "OPTIONS")
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: a request sent again with the same key (within 24 hours) is answered"
    " what the first was answered, and acts once (a key used with another body is refused, 422). Without"
    " it, only a call redelivered inside the platform is recognised.",
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
}
PARAMETERS = {
    "uuid": {"type": "string", "format": "uuid"},
    "ref": {"type": "string", "description": "The forum's id or its slug"},
    "token": {"type": "string", "description": "The token of the emailed link"},
}
RULE_PARAMETER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


@dataclass(frozen=True)
class Doc:
    summary: str
    tag: str
    auth: str = PUBLIC
    body: str | None = None  # component name of the JSON body
    body_optional: bool = False  # the body may be left out altogether
    query: type | None = None  # schema of the query string
    status: int = 200
    answer: str | dict | None = None  # component name (or a JSON schema) of the answer
    media: str = "application/json"
    returns: str = "Done"
    raises: tuple = ()  # names in errors.REMOTE_ERRORS
    headers: tuple = ()  # names in HEADERS
    description: str | None = None
    pages: tuple = ()  # statuses a page answers with a page of its own (text/html) as well as problem+json
    max_body: int = 64 * 1024  # bytes of a request body; more is refused (413)


def ref(component):
    """A reference to one of our components: a bare name would be looked up in marshmallow's class
    registry, where the events modules have schemas of the same names."""
    if isinstance(component, dict):
        return {key: ref(value) if key == "items" else value for key, value in component.items()}
    return {"$ref": f"#/components/schemas/{component}"}


def problem(description):
    return {"description": description, "content": {"application/problem+json": {"schema": ref("Problem")}}}


def success(doc):
    answer = {"description": doc.returns}
    if doc.answer or doc.media != "application/json":
        answer["content"] = {doc.media: {"schema": ref(doc.answer or {"type": "string"})}}
    if doc.headers:
        answer["headers"] = {name: HEADERS[name] for name in doc.headers}
    return answer


PAGE_ANSWERS = {
    403: "A form without the CSRF token of this visitor's cookie (expired, or from another site): nothing done",
    404: "Not found",
    409: "Refused as things stand (registration closed): the page says so",
    422: "A form with fields to correct: the page again, each error next to its field",
}


def responses(doc, has_path_parameters, method="GET"):
    found = defaultdict(list)
    changes = method.upper() not in SAFE
    if changes and doc.auth in (PUBLIC, PERSON, EITHER):  # EITHER: a participant's request counts
        found[429].append("Too many requests from this client: try again after Retry-After seconds")
    if changes:
        found[400].append("An Idempotency-Key that is not 1 to 255 visible ASCII characters")
        found[422].append(REMOTE_ERRORS["IdempotencyKeyReused"].title + " (first used for another request)")
    if doc.body or doc.query:
        found[400].append("Malformed JSON, or missing, invalid or unknown fields (see errors)")
    if doc.body:
        found[413].append(f"A body over {doc.max_body // 1024} KiB (chunked or not)")
        found[415].append("A body not sent as application/json (or application/*+json)")
    for status, text in AUTH_ERRORS.get(doc.auth, {}).items():
        found[status].append(text)
    if has_path_parameters:
        found[404].append("Not found (or a malformed id)")
    for name in doc.raises:
        found[REMOTE_ERRORS[name].status].append(REMOTE_ERRORS[name].title)
    for status in doc.pages:  # what a page's form is answered with, as a page
        found[status].extend(() if found[status] else [PAGE_ANSWERS.get(status, "A page saying why")])
    answers = {str(doc.status): success(doc)}
    for status in sorted(found):
        answers[str(status)] = problem("; ".join(dict.fromkeys(found[status])))
        if status in doc.pages:  # a malformed id is still the router's problem+json
            answers[str(status)]["content"]["text/html"] = {"schema": {"type": "string"}}
    if "429" in answers:
        answers["429"]["headers"] = {"Retry-After": HEADERS["Retry-After"]}
    answers["default"] = problem(
        "Unexpected error (500), or Service unavailable (503, with Retry-After): a service, its database or the broker"
        " unreachable, or too slow to answer within the gateway's RPC_TIMEOUT"
    )
    return answers


def operation(name, doc, path_parameters, method="GET"):
    described = {
        "operationId": name,
        "summary": doc.summary,
        "tags": [doc.tag],
        "security": SECURITY[doc.auth],
        "responses": responses(doc, bool(path_parameters), method),
    }
    if doc.description:
        described["description"] = doc.description
    parameters = list(path_parameters) + ([{"in": "query", "schema": doc.query}] if doc.query else [])
    if method.upper() not in SAFE:
        parameters.append(IDEMPOTENCY_KEY)
    if parameters:
        described["parameters"] = parameters
    if doc.body:
        described["requestBody"] = {
            "required": not doc.body_optional,
            "content": {"application/json": {"schema": ref(doc.body)}},
        }
    return described


def path_schema(converter, arguments):
    if converter == "any":  # werkzeug's any(a, b): one of these words
        return {"type": "string", "enum": [word.strip() for word in arguments.split(",")]}
    if converter == "int":  # werkzeug's int(min=1, max=n): a whole number within those bounds
        bounds = dict(part.strip().split("=") for part in arguments.split(",") if part.strip())
        words = {"min": "minimum", "max": "maximum"}
        return {"type": "integer"} | {words[key]: int(value) for key, value in bounds.items() if key in words}
    return PARAMETERS.get(converter, {"type": "string"})


def openapi_path(rule):
    """``/forums/<uuid:forum_id>`` → ``/forums/{forum_id}`` and its parameters."""
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": path_schema(converter, arguments)}
        for converter, arguments, name in RULE_PARAMETER.findall(rule)
    ]
    return RULE_PARAMETER.sub(r"{\3}", rule), parameters


def key_names(self, field, **kwargs):
    """A mapping's keys, as JSON Schema's ``propertyNames`` (apispec leaves them out): a client drawing
    from the document then sends keys the gateway takes."""
    keys = getattr(field, "key_field", None)
    if isinstance(field, fields.Dict) and keys is not None and "pattern" in keys.metadata:
        return {"propertyNames": {"type": "string", "pattern": keys.metadata["pattern"]}}
    return {}


def routes(service_cls):
    """(handler name, ApiHandler) for every HTTP route of the service class."""
    for name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if hasattr(entrypoint, "doc"):
                yield name, entrypoint


def components(spec):
    for name in schemas.__all__:
        if name.endswith("Schema") and not name.endswith("QuerySchema"):
            schema = getattr(schemas, name)
            component = name.removesuffix("Schema")
            if component not in spec.components.schemas:  # a nested one may be in already
                spec.components.schema(component, schema=schema() if component.endswith("Update") else schema)


def build_openapi(public_base_url, service_cls):
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Open d'Etat forums API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[plugin],
        servers=[{"url": public_base_url}],
        info={
            "description": "Forums of the Open d'Etat series: forums, registrations, subscriptions, "
            "topics and their prioritisation."
        },
    )
    plugin.converter.add_attribute_function(key_names)
    spec.components.security_scheme(
        "organiserToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An organiser token (POST /api/v1/organiser-tokens, or the configured one): "
            "a read token may GET, a write token may do everything organisers may",
        },
    )
    spec.components.security_scheme(
        "participantToken",
        {"type": "http", "scheme": "bearer", "description": "The token of a person's emailed link"},
    )
    components(spec)
    paths = defaultdict(dict)
    for name, entrypoint in routes(service_cls):
        if entrypoint.doc is None:
            continue  # the unit tests fail on any such route
        path, parameters = openapi_path(entrypoint.url)
        english = path == "/en" or path.startswith("/en/")  # a page's English address (gateway.site)
        for method in entrypoint.method.split(","):
            paths[path][method.lower()] = operation(name + ("_en" if english else ""), entrypoint.doc, parameters,
                                                    method)  # fmt: skip
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    document = spec.to_dict()
    for name, schema in document["components"]["schemas"].items():
        if name.endswith("Update"):  # a change has no defaults: what is not given stays as it is
            for field in schema["properties"].values():
                field.pop("default", None)
            # and changes something beyond what it must say (a change of nothing is a 400)
            schema["minProperties"] = 1 + len(schema.get("required", []))
            schema["additionalProperties"] = False  # as its create: unknown fields are a 400
    return document
