"""The OpenAPI 3 description of every JSON endpoint (served at /api/openapi.json)."""
from __future__ import annotations

from search.feedback import MAX_COMMENT_CHARS
from search.settings import DEFAULT_K, MAX_K, MAX_QUERY_CHARS, MAX_RANKED


def _error():
    return {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_spec() -> dict:
    search_params = [
        {"name": "q", "in": "query", "required": True, "description": "the question or keywords",
         "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}},
        {"name": "k", "in": "query", "required": False, "description": "how many passages",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K}},
        {"name": "doc", "in": "query", "required": False, "description": "document ids to search only",
         "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True},
        {"name": "min_confidence", "in": "query", "required": False,
         "description": "leave out results whose confidence is below this",
         "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0}},
        {"name": "explain", "in": "query", "required": False, "description": "add the parts of each score",
         "schema": {"type": "boolean", "default": False}},
        {"name": "offset", "in": "query", "required": False,
         "description": f"results of the ranking to skip; offset + k at most {MAX_RANKED}",
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_RANKED - 1, "default": 0}},
        {"name": "format", "in": "query", "required": False, "description": "json, or a file: csv or md",
         "schema": {"type": "string", "enum": ["json", "csv", "md"], "default": "json"}},
    ]
    search_answer = {"200": {"description": "ranked passages (format=csv: text/csv; format=md: text/markdown)",
                             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchAnswer"}},
                                         "text/csv": {"schema": {"type": "string"}},
                                         "text/markdown": {"schema": {"type": "string"}}}},
                     "400": _error(), "401": _error(), "413": _error(), "429": _error(), "503": _error()}
    search_post_answer = {**search_answer, "415": _error()}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Passage search", "version": "1",
                 "description": "Natural-language search over public-service documents with exact citations."},
        "paths": {
            "/api/search": {
                "get": {"summary": "Search passages", "operationId": "searchGet", "parameters": search_params,
                        "responses": search_answer},
                "post": {"summary": "Search passages (JSON body)", "operationId": "searchPost",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/SearchRequest"}}}},
                         "responses": search_post_answer},
            },
            "/api/health": {"get": {"summary": "Service and index status", "operationId": "health", "responses": {
                "200": {"description": "serving", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                "503": {"description": "no usable index: the error shape plus the health fields", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/api/documents": {"get": {"summary": "List the indexed documents", "operationId": "documents", "responses": {
                "200": {"description": "documents", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["documents"], "properties": {
                        "index_version": {"type": "string"},
                        "documents": {"type": "array", "items": {"$ref": "#/components/schemas/DocumentSummary"}}}}}}},
                "401": _error(), "503": _error()}}},
            "/api/documents/{doc}": {"get": {"summary": "One document's metadata and outline", "operationId": "document",
                                             "parameters": [{"name": "doc", "in": "path", "required": True,
                                                             "schema": {"type": "string"}}],
                                             "responses": {"200": {"description": "document", "content": {
                                                 "application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
                                                 "401": _error(), "404": _error(), "503": _error()}}},
            "/api/reload": {"post": {
                "summary": "Re-check the index folder now and serve its live version",
                "description": "Off (404) unless the server has an admin token (SEARCH_ADMIN_TOKEN).",
                "operationId": "reload", "security": [{"adminToken": []}],
                "responses": {"200": {"description": "the index now served", "content": {"application/json": {"schema": {
                    "allOf": [{"$ref": "#/components/schemas/Health"}, {"type": "object", "required": ["reloaded"],
                              "properties": {"reloaded": {"type": "boolean"}}}]}}}},
                              "401": _error(), "403": _error(), "404": _error(), "429": _error(), "503": _error()}}},
            "/api/similar": {"get": {
                "summary": "Passages closest in meaning to one passage (more like this)", "operationId": "similar",
                "parameters": [
                    {"name": "doc", "in": "query", "required": True, "schema": {"type": "string"},
                     "description": "the passage's citation.doc"},
                    {"name": "start", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 0}},
                    {"name": "end", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 0}},
                    {"name": "k", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K}}],
                "responses": {"200": {"description": "the search answer's shape, without the passage itself",
                                      "content": {"application/json": {"schema": {
                                          "$ref": "#/components/schemas/SearchAnswer"}}}},
                              "400": _error(), "401": _error(), "429": _error(), "503": _error()}}},
            "/api/feedback": {"post": {
                "summary": "Say whether a result helped", "operationId": "feedback",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["q", "doc", "start", "end", "helpful"], "properties": {
                        "q": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
                        "doc": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"},
                        "helpful": {"type": "boolean"},
                        "comment": {"type": "string", "maxLength": MAX_COMMENT_CHARS}}}}}},
                "responses": {"201": {"description": "kept", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["recorded"], "properties": {
                        "recorded": {"type": "boolean"}, "helpful": {"type": "boolean"},
                        "index_version": {"type": "string"}, "citation": {"type": "object"}}}}}},
                              "400": _error(), "401": _error(), "413": _error(), "415": _error(), "429": _error(),
                              "503": _error()}}},
            "/api/openapi.json": {"get": {"summary": "This description", "operationId": "openapi",
                                          "responses": {"200": {"description": "OpenAPI 3 document"}}}},
        },
        # Callers: with SEARCH_AUTH=keys or proxy, an API key (or a sign-in proxy's headers); 401 otherwise.
        "security": [{}, {"apiKey": []}],
        "components": {"securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "http", "scheme": "bearer", "description": "a key from `python -m search keys add`; "
                       "needed when SEARCH_AUTH=keys, accepted beside a sign-in proxy when SEARCH_AUTH=proxy"}},
            "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "message"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
            "SearchRequest": {"type": "object", "required": ["q"], "properties": {
                "q": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
                "k": {"type": "integer", "minimum": 1, "maximum": MAX_K, "nullable": True,
                      "description": "null or absent: 10"},
                "doc": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}], "nullable": True,
                        "description": "null, absent or []: every document"},
                "min_confidence": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True},
                "explain": {"type": "boolean", "nullable": True},
                "offset": {"type": "integer", "minimum": 0, "maximum": MAX_RANKED - 1, "nullable": True},
                "format": {"type": "string", "enum": ["json", "csv", "md"], "nullable": True}}},
            "Highlight": {"type": "object", "required": ["start", "end", "kind"], "properties": {
                "start": {"type": "integer"}, "end": {"type": "integer"},
                "kind": {"type": "string", "enum": ["answer", "keyword"]}}},
            "Citation": {"type": "object", "required": ["doc", "title", "section", "start", "end", "line_start",
                                                         "line_end", "url"], "properties": {
                "doc": {"type": "string"}, "title": {"type": "string"},
                "section": {"type": "array", "items": {"type": "string"}},
                "start": {"type": "integer"}, "end": {"type": "integer"},
                "line_start": {"type": "integer"}, "line_end": {"type": "integer"},
                "page": {"type": "integer", "description": "PDF page of the passage's start (PDF documents only)"},
                "pages": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
                          "description": "[first, last] PDF pages the passage runs over (PDF documents only)"},
                "ocr": {"type": "boolean", "description": "true when some of the text was recognised by OCR"},
                "also": {"type": "array", "description": "the same text in other places",
                         "items": {"type": "object", "properties": {"doc": {"type": "string"},
                                                                    "url": {"type": "string"}}}},
                "url": {"type": "string"}}},
            "Result": {"type": "object", "required": ["rank", "score", "text", "citation", "highlights"], "properties": {
                "rank": {"type": "integer"}, "score": {"type": "number"}, "text": {"type": "string"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                               "description": "calibrated match strength, comparable across questions"},
                "explain": {"type": "object", "description": "the parts of the score (explain=true only)"},
                "highlights": {"type": "array", "items": {"$ref": "#/components/schemas/Highlight"}},
                "citation": {"$ref": "#/components/schemas/Citation"}}},
            "SearchAnswer": {"type": "object", "required": ["query", "k", "took_ms", "results"], "properties": {
                "query": {"type": "string"}, "k": {"type": "integer"}, "offset": {"type": "integer"},
                "took_ms": {"type": "number"},
                "index_version": {"type": "string"},
                "match": {"type": "string", "enum": ["strong", "weak", "none"]},
                "min_confidence": {"type": "number"}, "explain": {"type": "boolean"},
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}}}},
            "Health": {"type": "object", "required": ["status"], "properties": {
                "status": {"type": "string"}, "index_version": {"type": "string"}, "built_at": {"type": "string"},
                "model": {"type": "string"}, "documents": {"type": "integer"}, "passages": {"type": "integer"}}},
            "DocumentSummary": {"type": "object", "required": ["id", "title", "sections", "passages"], "properties": {
                "id": {"type": "string"}, "title": {"type": "string"}, "sections": {"type": "integer"},
                "passages": {"type": "integer"}, "chars": {"type": "integer"}, "url": {"type": "string"}}},
            "Document": {"allOf": [{"$ref": "#/components/schemas/DocumentSummary"}, {"type": "object", "properties": {
                "fingerprint": {"type": "string"}, "outline_truncated": {"type": "boolean"},
                "outline": {"type": "array", "items": {"type": "object", "properties": {
                    "text": {"type": "string"}, "level": {"type": "integer"}, "anchor": {"type": "string"},
                    "line": {"type": "integer"}, "path": {"type": "array", "items": {"type": "string"}}}}}}}]},
        }},
    }
