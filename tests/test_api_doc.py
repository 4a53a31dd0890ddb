"""API.md describes what the service answers: its example's fields and its endpoints are real."""
import json
import re
from pathlib import Path

API_MD = (Path(__file__).resolve().parents[1] / "API.md").read_text(encoding="utf-8")


def _example_answer() -> dict:
    block = re.search(r"Answer, `200`.*?```json\n(.*?)```", API_MD, re.S).group(1)
    return json.loads(block)


def _shape(value):
    """Field names, nested; lists by their first item."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value and isinstance(value[0], (dict, list)) else []
    return type(value).__name__.replace("int", "float")


def _without_optional(shape: dict) -> dict:
    for optional in ("page", "pages", "ocr", "also"):   # PDF documents, repeated texts only
        shape["results"][0]["citation"].pop(optional, None)
    return shape


def test_the_example_answer_has_the_fields_a_real_answer_has(client):
    real = client.get("/api/search?q=payment by results probation risk&k=3").get_json()
    hit = next(r for r in real["results"] if any(h["kind"] == "answer" for h in r["highlights"]))
    real["results"] = [hit]
    assert _without_optional(_shape(real)) == _shape(_example_answer())


def test_every_documented_endpoint_is_in_the_openapi_description(client):
    def generic(path):   # /api/documents/<id> and /api/documents/{doc} name one endpoint
        return re.sub(r"<\w+>|\{\w+\}", "{}", path)

    documented = {(m, generic(p)) for m, p in re.findall(r"(?:`|## )(GET|POST) (/api/[\w./<>{}-]+)", API_MD)}
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert documented == {(method.upper(), generic(path)) for path, ops in paths.items() for method in ops}


def test_the_shared_contract_s_fields_are_all_kept():
    example = _example_answer()
    assert {"query", "k", "took_ms", "results"} <= set(example)
    assert {"rank", "score", "text", "citation"} <= set(example["results"][0])
    assert set(example["results"][0]["citation"]) >= {"doc", "title", "section", "start", "end", "line_start",
                                                       "line_end", "url"}
