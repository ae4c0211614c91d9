"""Proto messages ↔ the JSON stored with meetings, without ``json_format``'s per-field cost.

``json_format.MessageToDict``/``ParseDict`` look every field up by reflection on each call and
showed as the largest Python cost of an upload and of a passbook (a meeting stores its request,
its result and a row per member). Here each message type's fields are read once into a plan.
The output has the keys ``MessageToDict(preserving_proto_field_name=True)`` gives (default values
left out, enums by name) but int64 as JSON numbers; the reader takes either form, so meetings
stored before this module read the same.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

_SCALAR, _MESSAGE, _REPEATED_SCALAR, _REPEATED_MESSAGE, _MAP_SCALAR, _MAP_MESSAGE, _ENUM = range(7)
_INTS = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_SFIXED32,
    }
)

Plan = tuple[tuple[str, int, bool, EnumDescriptor | None], ...]


@cache
def _plan(d: Descriptor) -> Plan:
    """``(name, kind, integer, enum)`` per field of a message type."""
    out = []
    for f in d.fields:
        integer = f.type in _INTS
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            value = f.message_type.fields_by_name["value"]
            kind = _MAP_MESSAGE if value.message_type is not None else _MAP_SCALAR
            integer = value.type in _INTS
        elif f.message_type is not None:
            kind = _REPEATED_MESSAGE if f.is_repeated else _MESSAGE
        elif f.enum_type is not None:
            kind = _ENUM
        else:
            kind = _REPEATED_SCALAR if f.is_repeated else _SCALAR
        out.append((f.name, kind, integer, f.enum_type))
    return tuple(out)


def to_json(msg: Message) -> dict[str, Any]:
    """The set fields of ``msg`` as JSON-ready Python (int64 as numbers)."""
    out: dict[str, Any] = {}
    for name, kind, _, enum in _plan(msg.DESCRIPTOR):
        value = getattr(msg, name)
        if kind == _SCALAR:
            if value:
                out[name] = value
        elif kind == _MESSAGE:
            if msg.HasField(name):
                out[name] = to_json(value)
        elif kind == _REPEATED_MESSAGE:
            if value:
                out[name] = [to_json(v) for v in value]
        elif kind in (_REPEATED_SCALAR, _MAP_SCALAR):
            if value:
                out[name] = list(value) if kind == _REPEATED_SCALAR else dict(value)
        elif kind == _MAP_MESSAGE:
            if value:
                out[name] = {k: to_json(v) for k, v in value.items()}
        elif value and enum is not None:
            out[name] = enum.values_by_number[value].name
    return out


def from_json(data: dict[str, Any], msg: M) -> M:
    """Fill ``msg`` from :func:`to_json`'s (or ``MessageToDict``'s) output; returns it."""
    for name, kind, integer, enum in _plan(msg.DESCRIPTOR):
        value = data.get(name)
        if value is None:
            continue
        if kind == _SCALAR:
            setattr(msg, name, int(value) if integer else value)
        elif kind == _MESSAGE:
            from_json(value, getattr(msg, name))
        elif kind == _REPEATED_MESSAGE:
            target = getattr(msg, name)
            for item in value:
                from_json(item, target.add())
        elif kind == _REPEATED_SCALAR:
            getattr(msg, name).extend([int(v) for v in value] if integer else value)
        elif kind == _MAP_SCALAR:
            getattr(msg, name).update({k: int(v) for k, v in value.items()} if integer else value)
        elif kind == _MAP_MESSAGE:
            target = getattr(msg, name)
            for k, v in value.items():
                from_json(v, target[k])
        elif enum is not None:  # by name or number
            setattr(
                msg, name, enum.values_by_name[value].number if isinstance(value, str) else value
            )
    return msg
