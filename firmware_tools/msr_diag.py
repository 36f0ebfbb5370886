"""A serial MSR605/MSR206-style reader's model, firmware and self-tests, and one test read.

Commands (MSR605 programmer's manual): ESC e communication test (answer ESC y), ESC v firmware version (answer
ESC and the version text), ESC t model (answer ESC, the model, 'S'), ESC 0x87 RAM test (ESC 0 ok, ESC A
failed). A reader that answers ESC 4 does not know the command; one that answers nothing is reported as such.
The test read goes through the terminal's own serial driver (drivers/serial_msr) and shows, per track, only
its state and length, and the PAN masked: never track data.
"""
from __future__ import annotations

import time

ESC = 0x1B
QUERIES = (("communication", b"\x1be"), ("firmware", b"\x1bv"), ("model", b"\x1bt"), ("ram_test", b"\x1b\x87"))


def _reply(port, command: bytes, wait_s: float) -> bytes:
    port.reset_input_buffer()
    port.write(command)
    port.flush()
    deadline = time.monotonic() + wait_s
    data = b""
    while time.monotonic() < deadline:
        chunk = port.read(port.in_waiting or 1)
        if chunk:
            data += chunk
            if data.startswith(b"\x1b") and len(data) >= 2 and not port.in_waiting:
                time.sleep(0.02)   # a multi-byte answer arrives in pieces
                if not port.in_waiting:
                    break
    return data


def _meaning(name: str, data: bytes) -> str:
    if not data:
        return "no answer"
    if not data.startswith(b"\x1b") or len(data) < 2:
        return f"unexpected answer {data.hex().upper()}"
    body = data[1:]
    if body == b"4":
        return "not supported (ESC 4: invalid command)"
    if name == "communication":
        return "ok" if body == b"y" else f"unexpected answer {data.hex().upper()}"
    if name == "ram_test":
        return {b"0": "ok", b"A": "FAILED"}.get(body, f"unexpected answer {data.hex().upper()}")
    if name == "model":
        return body[:-1].decode("ascii", "replace") if body.endswith(b"S") else body.decode("ascii", "replace")
    return body.decode("ascii", "replace").strip()


def query(device: str, baud: int = 9600, wait_s: float = 0.5) -> dict[str, str]:
    import serial
    from drivers.serial_msr.errors import PortUnavailableError
    try:
        port = serial.Serial(device, baudrate=baud, timeout=0.05, write_timeout=2.0)
    except (serial.SerialException, OSError, ValueError) as e:
        raise PortUnavailableError(f"serial reader {device}: cannot open the port ({e})") from None
    try:
        time.sleep(0.05)   # a pty emulator reads only once the port is open
        return {name: _meaning(name, _reply(port, command, wait_s)) for name, command in QUERIES}
    finally:
        port.close()


def test_read(device: str, timeout_s: float, baud: int = 9600) -> dict:
    from drivers.serial_msr import read_swipe
    from terminal.card.pan import mask_pan
    result = read_swipe(device, "msr605", timeout_s, baud=baud)
    out = {"ok": result.ok, "fault": result.fault.value if result.fault else None, "reason": result.reason,
           "tracks": {str(n): {"state": result.state(n).value, "length": len(result.text(n) or "")}
                      for n in (1, 2, 3)}}
    track2 = result.text(2) or ""
    pan = track2.strip(";?").partition("=")[0]
    if pan.isdigit():
        out["masked_pan"] = mask_pan(pan)
    return out


def msr_lines(info: dict) -> list[str]:
    lines = [f"serial reader {info['device']}"]
    lines += [f"  {k}: {v}" for k, v in info["status"].items()]
    read = info.get("test_read")
    if read is not None:
        verdict = "ok" if read["ok"] else f"{read['fault']}: {read['reason']}"
        lines.append(f"  test read: {verdict}")
        lines += [f"    track {n}: {t['state']}, {t['length']} characters" for n, t in read["tracks"].items()]
        if "masked_pan" in read:
            lines.append(f"    PAN {read['masked_pan']}")
    return lines
