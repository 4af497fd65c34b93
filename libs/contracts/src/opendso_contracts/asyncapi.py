"""The bus described as an AsyncAPI 3.0 document, from the registry and the protobuf descriptors: what the
gateway serves at /asyncapi.json and tools/gen_api_docs.py commits as docs/asyncapi.yaml."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from opendso_contracts import registry

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64"},
}


def _schema_name(descriptor: Descriptor) -> str:
    return descriptor.full_name


def _field_schema(field: FieldDescriptor, schemas: dict[str, Any]) -> dict[str, Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        nested = field.message_type
        assert nested is not None, "a message field has a message type"
        if nested.GetOptions().map_entry:
            value = nested.fields_by_name["value"]
            return {"type": "object", "additionalProperties": _field_schema(value, schemas)}
        item: dict[str, Any] = {"$ref": f"#/components/schemas/{_message_schema(nested, schemas)}"}
    elif field.type == FieldDescriptor.TYPE_ENUM:
        assert field.enum_type is not None, "an enum field has an enum type"
        item = {"type": "string", "enum": [v.name for v in field.enum_type.values]}
    else:
        item = dict(_SCALARS[field.type])
    if field.is_repeated:
        return {"type": "array", "items": item}
    return item


def _message_schema(descriptor: Descriptor, schemas: dict[str, Any]) -> str:
    name = _schema_name(descriptor)
    if name not in schemas:
        schemas[name] = {}  # placeholder first: messages may refer to themselves
        schemas[name] = {
            "type": "object",
            "description": f"Protocol Buffers message {name}, sent in its binary encoding; fields as in proto/.",
            "properties": {f.name: _field_schema(f, schemas) for f in descriptor.fields},
        }
    return name


def asyncapi_document() -> dict[str, Any]:
    """AsyncAPI 3.0: a channel per event subject (with its JetStream stream) and per query subject, an
    operation per event (send) and per query (request with its reply)."""
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}

    def message(descriptor: Any) -> dict[str, str]:
        name = descriptor.name
        if name not in messages:
            messages[name] = {
                "name": name,
                "contentType": "application/protobuf",
                "payload": {"$ref": f"#/components/schemas/{_message_schema(descriptor, schemas)}"},
            }
        return {"$ref": f"#/components/messages/{name}"}

    for message_type, subject in sorted(registry.SUBJECTS.items(), key=lambda entry: entry[1]):
        descriptor = message_type.DESCRIPTOR
        channel = descriptor.name
        stream = registry.stream_for(subject)
        channels[channel] = {
            "address": subject,
            "description": f"Durable: kept in the JetStream stream {stream.name}; consumers ack each message.",
            "messages": {descriptor.name: message(descriptor)},
        }
        operations[f"publish{descriptor.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{descriptor.name} is published (through the publishing service's outbox).",
        }
    for query in sorted(registry.QUERIES.values(), key=lambda q: q.subject):
        request, reply = query.request.DESCRIPTOR, query.reply.DESCRIPTOR
        channel = f"rpc{request.name}"
        channels[channel] = {
            "address": query.subject,
            "description": "Request/reply: core NATS, never captured by a stream; errors come back as headers.",
            "messages": {request.name: message(request), reply.name: message(reply)},
        }
        operations[f"ask{request.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{request.name}"}],
            "reply": {
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{reply.name}"}],
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OpenDSO bus",
            "version": "1.0.0",
            "description": (
                "What crosses the NATS bus between the OpenDSO services: durable events and commands in "
                "JetStream, one stream per context, and request/reply queries under opendso.rpc. Generated "
                "from libs/contracts (the registry and the protobuf descriptors) by tools/gen_api_docs.py."
            ),
        },
        "defaultContentType": "application/protobuf",
        "servers": {"nats": {"host": "localhost:4222", "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": dict(sorted(messages.items())), "schemas": dict(sorted(schemas.items()))},
    }
