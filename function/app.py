"""A small HTTP API for AWS Lambda (container image): the example lambda-gate ships and gates.

Routes: GET /health, GET /hello?name=…, GET /items, POST /items (echo). It speaks every event
shape that reaches a Lambda HTTP API: API Gateway REST (v1), HTTP API (v2) and Function URLs,
and answers with a proxy response. Every response carries the monitoring headers the gate
checks: x-request-id, x-cold-start (true only on the first request this execution environment
serves), x-response-time-ms, x-function-version.
"""

import json
import os
import time
import uuid

# Module scope runs once per execution environment: the first request after it is cold.
_COLD = True
_STARTED = time.time()
VERSION = os.environ.get("FUNCTION_VERSION", os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "local"))
_ITEMS = []


def _log(level, message, **fields):
    """One JSON object per line: CloudWatch Logs Insights parses it without a pattern."""
    print(json.dumps({"level": level, "message": message, "time": round(time.time(), 3), **fields}))


def _route(event):
    """Method and path of any of the three event shapes."""
    ctx = event.get("requestContext") or {}
    http = ctx.get("http") or {}
    method = http.get("method") or event.get("httpMethod") or "GET"
    path = event.get("rawPath") or http.get("path") or event.get("path") or "/"
    return method.upper(), path


def _query(event):
    return event.get("queryStringParameters") or {}


def _body(event):
    body = event.get("body")
    if body is None:
        return None
    if event.get("isBase64Encoded"):
        import base64  # lazily: only base64 bodies need it

        body = base64.b64decode(body).decode("utf-8", "replace")
    try:
        return json.loads(body)
    except ValueError:
        return body


def _validate_item(item):
    """POST /items bodies: a name and a non-negative price. pydantic is imported here, on the
    first POST, so cold starts of the GET routes never load it."""
    from pydantic import BaseModel, Field, ValidationError

    class Item(BaseModel):
        name: str = Field(min_length=1, max_length=100)
        price: float = Field(ge=0)
        tags: list[str] = []

    try:
        return Item.model_validate(item).model_dump(), None
    except ValidationError as exc:
        return None, [{"field": ".".join(map(str, e["loc"])), "error": e["msg"]} for e in exc.errors()]


def _respond(status, payload, request_id, started, cold):
    elapsed_ms = (time.perf_counter() - started) * 1000
    return {
        "statusCode": status,
        "headers": {
            "content-type": "application/json",
            "x-request-id": request_id,
            "x-cold-start": "true" if cold else "false",
            "x-response-time-ms": f"{elapsed_ms:.2f}",
            "x-function-version": VERSION,
        },
        "body": json.dumps(payload),
    }


def handler(event, context):
    global _COLD
    started = time.perf_counter()
    cold, _COLD = _COLD, False
    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    method, path = _route(event if isinstance(event, dict) else {})
    event = event if isinstance(event, dict) else {}
    try:
        if path in ("/health", "/"):
            status, payload = 200, {"status": "ok", "version": VERSION, "uptime_s": round(time.time() - _STARTED, 3)}
        elif path == "/hello" and method == "GET":
            name = str(_query(event).get("name", "world"))[:100]
            status, payload = 200, {"message": f"hello, {name}"}
        elif path == "/items" and method == "GET":
            status, payload = 200, {"items": _ITEMS[-50:]}
        elif path == "/items" and method == "POST":
            body = _body(event)
            item, errors = (None, None) if body is None else _validate_item(body)
            if body is None:
                status, payload = 400, {"error": "a JSON body is required"}
            elif errors:
                status, payload = 422, {"error": "invalid item", "details": errors}
            else:
                _ITEMS.append(item)
                status, payload = 201, {"item": item, "count": len(_ITEMS)}
        else:
            status, payload = 404, {"error": f"no route for {method} {path}"}
    except Exception as exc:  # a bad request must not become a function error
        _log("error", "request failed", request_id=request_id, error=repr(exc))
        status, payload = 500, {"error": "internal error"}
    response = _respond(status, payload, request_id, started, cold)
    _log("info", "request", request_id=request_id, method=method, path=path, status=status,
         cold_start=cold, duration_ms=float(response["headers"]["x-response-time-ms"]))
    return response
