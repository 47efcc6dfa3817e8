"""JSON Schema fragments shared by catalog modules (2020-12)."""

DIALECT = "https://json-schema.org/draft/2020-12/schema"
UUID = {"type": "string", "format": "uuid"}
URI = {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 500}
DECIMAL = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
HEADERS = {"type": "object", "additionalProperties": {"type": "string"}}
STATUS_CODES = {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}, "minItems": 1}


def obj(properties: dict, required=(), additional=True) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required:
        schema["required"] = list(required)
    return schema
