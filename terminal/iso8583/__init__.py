"""The acquirer dialect of ../shared/host-interface.md on pyiso8583: spec as data, builders, MAC, codes."""
from terminal.iso8583.errors import MacError, MessageError
from terminal.iso8583.codec import Message, decode, encode

__all__ = ["MacError", "MessageError", "Message", "decode", "encode"]
