"""A Onewindow service in Python: residents record their water-meter readings.

Routes, under /api/v1/services/python-example:

    GET  /hello      anyone: a JSON greeting
    POST /readings   a signed-in resident: {"meter": "W-1001", "reading": 12.5}
    GET  /readings   a signed-in resident: their own readings, newest first

Built with componentize-py, which generates the `wit_world` bindings from the
WIT while it builds (nothing generated is kept here), from this directory:

    componentize-py -d ../../wit -w service componentize app -o plugin.wasm
"""

import json
import re

import wit_world
from componentize_py_types import Err
from wit_world.imports import data, log, types
from wit_world.imports.data import (
    Assignment,
    Condition,
    Order,
    Predicate_Eq,
    SelectQuery,
    Value_Real,
    Value_Text,
)

TABLE = "readings"
METER = re.compile(r"[A-Z]-[0-9]{4,10}")


class Problem(Exception):
    """An error answered as application/problem+json (RFC 9457), in the shape
    the host and the Rust SDK use, so a client cannot tell them apart."""

    def __init__(self, status, kind, title, detail, errors=None, headers=()):
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors, self.headers = errors or [], list(headers)

    @classmethod
    def validation(cls, errors):
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return cls(422, "validation-failed", "Validation failed", detail, errors)

    def response(self, request_id):
        body = {
            "type": f"urn:onewindow:problem:{self.kind}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "request_id": request_id,
        }
        if self.errors:
            body["errors"] = self.errors
        return json_response(self.status, body, "application/problem+json", self.headers)


def json_response(status, value, content_type="application/json", headers=()):
    headers = [("content-type", content_type), *headers]
    return types.Response(status=status, headers=headers, body=json.dumps(value).encode())


def signed_in_resident(request):
    caller = request.caller
    if caller is None:
        raise Problem(401, "unauthorized", "Sign-in required", "sign in as a resident first")
    if caller.role != types.Role.RESIDENT:
        raise Problem(403, "forbidden", "Forbidden", "only residents record meter readings")
    return caller


def hello(request):
    return json_response(200, {"message": "Hello from Python", "language": "python"})


def record(request):
    caller = signed_in_resident(request)
    meter, reading = parse_reading(request.body)
    values = [
        Assignment("resident", Value_Text(caller.subject)),
        Assignment("meter", Value_Text(meter)),
        Assignment("reading", Value_Real(reading)),
    ]
    row_id = data.insert(TABLE, values)
    log.write(log.Level.INFO, f"reading {row_id} recorded for meter {meter}")
    return json_response(201, {"id": row_id, "meter": meter, "reading": reading})


def parse_reading(body):
    """The body as (meter, reading), or a problem naming every bad field."""
    try:
        fields = json.loads(body)
    except ValueError as error:  # not UTF-8, or not JSON
        raise Problem(400, "bad-request", "Bad request", f"the body is not JSON: {error}") from None
    if not isinstance(fields, dict):
        raise Problem(400, "bad-request", "Bad request", "the body must be a JSON object")
    errors = []
    meter, reading = fields.get("meter"), fields.get("reading")
    if not isinstance(meter, str) or not METER.fullmatch(meter):
        errors.append({"field": "meter", "message": "must be a meter number such as W-1001"})
    # bool is an int in Python; JSON true is not a reading.
    if isinstance(reading, bool) or not isinstance(reading, (int, float)) or not 0 <= reading < 1e9:
        errors.append({"field": "reading", "message": "must be a number from 0 to 999999999"})
    for unknown in sorted(set(fields) - {"meter", "reading"}):
        errors.append({"field": unknown, "message": "is not a field of a reading"})
    if errors:
        raise Problem.validation(errors)
    return meter, float(reading)


def own_readings(request):
    caller = signed_in_resident(request)
    query = SelectQuery(
        table=TABLE,
        columns=["id", "meter", "reading"],
        conditions=[Condition("resident", Predicate_Eq(Value_Text(caller.subject)))],
        order_by=[Order("id", descending=True)],
        limit=100,
        offset=None,
    )
    rows = data.select(query)
    # Every value is a variant case; each but `null` carries `.value`.
    readings = [
        {column: getattr(value, "value", None) for column, value in zip(rows.columns, row)}
        for row in rows.rows
    ]
    return json_response(200, readings)


ROUTES = {
    "/hello": {"GET": hello},
    "/readings": {"GET": own_readings, "POST": record},
}


class WitWorld(wit_world.WitWorld):
    def handle(self, request: types.Request) -> types.Response:
        try:
            methods = ROUTES.get(request.path)
            if methods is None:
                raise Problem(404, "not-found", "Not found", f"no route {request.path}")
            handler = methods.get(request.method)
            if handler is None:
                detail = f"{request.path} answers {', '.join(methods)}"
                allow = ("allow", ", ".join(methods))
                raise Problem(
                    405, "method-not-allowed", "Method not allowed", detail, headers=[allow]
                )
            return handler(request)
        except Problem as problem:
            return problem.response(request.request_id)
        except Err as error:
            # A capability call failed: the service's own fault (the resident
            # cannot cause one here). Details go to the plugin's log only.
            log.write(log.Level.ERROR, f"{request.method} {request.path}: {error.value}")
            detail = "the service failed; quote the request id"
            return Problem(500, "internal", "Internal error", detail).response(request.request_id)
