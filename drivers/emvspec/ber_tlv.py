"""BER-TLV as EMV Book 3 Annex B uses it (ISO/IEC 8825-1 subset): multi-byte tags, definite lengths up to
4 length bytes, constructed templates, '00'/'FF' padding between objects. Duplicate tags are kept in order: the
kernel decides whether a duplicate is an error (Book 3 section 10.2: redundant primitive objects)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Iterator

from drivers.emvspec.errors import TlvError

_PADDING = (0x00, 0xFF)


@dataclass(frozen=True)
class Tlv:
    """One data object; `offset` is where its tag starts in the buffer that was parsed (for error messages)."""

    tag: int
    value: bytes
    offset: int = 0

    @property
    def constructed(self) -> bool:
        return is_constructed(self.tag)

    def children(self) -> list["Tlv"]:
        """The objects inside a constructed template (offsets relative to the outer buffer)."""
        return list(self._children)

    @cached_property
    def _children(self) -> tuple["Tlv", ...]:
        # parsed once per object: a response is walked several times (store, find, templates)
        if not self.constructed:
            raise TlvError("primitive object has no children", self.offset, self.tag)
        return tuple(parse(self.value, base_offset=self.offset + len(encode_tag(self.tag))
                           + len(encode_length(len(self.value)))))

    def encode(self) -> bytes:
        return encode(self.tag, self.value)


def is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def tag_hex(tag: int) -> str:
    return encode_tag(tag).hex().upper()


def encode_tag(tag: int) -> bytes:
    if tag < 0 or tag == 0:
        raise TlvError("tag must be positive", 0, tag)
    return tag.to_bytes((tag.bit_length() + 7) // 8, "big")


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise TlvError(f"length {length} too large", 0)
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


def encode_many(items: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(encode(tag, value) for tag, value in items)


def _read_tag(data: bytes, pos: int, base: int) -> tuple[int, int]:
    start = pos
    first = data[pos]
    pos += 1
    tag = first
    if first & 0x1F == 0x1F:
        while True:
            if pos >= len(data):
                raise TlvError("tag runs past the end of the data", base + start, tag)
            byte = data[pos]
            pos += 1
            tag = (tag << 8) | byte
            if not byte & 0x80:
                break
            if pos - start > 4:
                raise TlvError("tag longer than 4 bytes", base + start, tag)
    return tag, pos


def _read_length(data: bytes, pos: int, base: int, tag: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("length missing", base + pos, tag)
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0:
        raise TlvError("indefinite length is not allowed in EMV", base + pos - 1, tag)
    if count > 4:
        raise TlvError(f"length field of {count} bytes (at most 4)", base + pos - 1, tag)
    if pos + count > len(data):
        raise TlvError("length field runs past the end of the data", base + pos - 1, tag)
    return int.from_bytes(data[pos:pos + count], "big"), pos + count


def iter_parse(data: bytes, base_offset: int = 0) -> Iterator[Tlv]:
    """Yield the top-level objects of `data` in order; raises TlvError naming the offset of the first defect."""
    data = bytes(data)
    pos = 0
    while pos < len(data):
        if data[pos] in _PADDING:
            pos += 1
            continue
        start = pos
        tag, pos = _read_tag(data, pos, base_offset)
        length, pos = _read_length(data, pos, base_offset, tag)
        end = pos + length
        if end > len(data):
            raise TlvError(f"value of {length} bytes runs {end - len(data)} bytes past the end", base_offset + start, tag)
        yield Tlv(tag, data[pos:end], base_offset + start)
        pos = end


def parse(data: bytes, base_offset: int = 0) -> list[Tlv]:
    return list(iter_parse(data, base_offset))


def parse_deep(data: bytes) -> list[Tlv]:
    """Parse and check every nested template too (so a defect deep inside is found now, not later)."""
    top = parse(data)
    for obj in walk(top):
        pass
    return top


def walk(objects: Iterable[Tlv]) -> Iterator[Tlv]:
    """Depth-first: every object, templates before their children."""
    for obj in objects:
        yield obj
        if obj.constructed:
            yield from walk(obj._children)


def primitives(objects: Iterable[Tlv]) -> Iterator[Tlv]:
    return (obj for obj in walk(objects) if not obj.constructed)


def find(objects: Iterable[Tlv], tag: int) -> Tlv | None:
    for obj in walk(objects):
        if obj.tag == tag:
            return obj
    return None


def find_all(objects: Iterable[Tlv], tag: int) -> list[Tlv]:
    return [obj for obj in walk(objects) if obj.tag == tag]
