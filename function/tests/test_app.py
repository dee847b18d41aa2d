import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import app  # noqa: E402


class Ctx:
    aws_request_id = "req-1"


def v2(method, path, body=None, query=None):
    return {"version": "2.0", "rawPath": path, "requestContext": {"http": {"method": method, "path": path}},
            "body": body, "queryStringParameters": query}


def v1(method, path, body=None):
    return {"httpMethod": method, "path": path, "body": body, "requestContext": {}}


class HandlerTest(unittest.TestCase):
    def setUp(self):
        app._COLD = True
        app._ITEMS.clear()

    def test_cold_start_only_on_the_first_request(self):
        first = app.handler(v2("GET", "/health"), Ctx())
        second = app.handler(v2("GET", "/health"), Ctx())
        self.assertEqual(first["headers"]["x-cold-start"], "true")
        self.assertEqual(second["headers"]["x-cold-start"], "false")

    def test_monitoring_headers_on_every_response(self):
        for event in (v2("GET", "/health"), v2("GET", "/nope"), v1("POST", "/items", "{}")):
            r = app.handler(event, Ctx())
            for h in ("x-request-id", "x-cold-start", "x-response-time-ms", "x-function-version"):
                self.assertIn(h, r["headers"])
            self.assertEqual(r["headers"]["x-request-id"], "req-1")

    def test_routes_in_every_event_shape(self):
        self.assertEqual(json.loads(app.handler(v2("GET", "/hello", query={"name": "gate"}), Ctx())["body"]),
                         {"message": "hello, gate"})
        r = app.handler(v1("POST", "/items", json.dumps({"name": "widget", "price": 9.5})), Ctx())
        self.assertEqual(r["statusCode"], 201)
        self.assertEqual(json.loads(app.handler(v1("GET", "/items"), Ctx())["body"])["items"],
                         [{"name": "widget", "price": 9.5, "tags": []}])
        self.assertEqual(app.handler(v2("DELETE", "/items"), Ctx())["statusCode"], 404)
        self.assertEqual(app.handler(v2("POST", "/items"), Ctx())["statusCode"], 400)

    def test_invalid_items_are_rejected_with_the_field(self):
        r = app.handler(v1("POST", "/items", json.dumps({"name": "", "price": -1})), Ctx())
        self.assertEqual(r["statusCode"], 422)
        fields = sorted(d["field"] for d in json.loads(r["body"])["details"])
        self.assertEqual(fields, ["name", "price"])
        self.assertEqual(app._ITEMS, [])

    def test_get_routes_do_not_import_pydantic(self):
        import subprocess
        code = ("import sys, app; app.handler({'rawPath': '/health'}, None); "
                "print('pydantic' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(app.__file__),
                             capture_output=True, text=True, check=True).stdout.split()[-1]
        self.assertEqual(out, "False")

    def test_the_naive_builds_handler_imports_pydantic_at_init(self):
        # What makes the naive build's cold start slower: pydantic loaded before any request.
        import subprocess
        code = ("import sys, app_eager; print('pydantic' in sys.modules, "
                "app_eager.handler is sys.modules['app'].handler)")
        out = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(app.__file__),
                             capture_output=True, text=True, check=True).stdout.split()[-2:]
        self.assertEqual(out, ["True", "True"])


if __name__ == "__main__":
    unittest.main()
