"""`posterm fw trace show FILE`: a trace decoded command by command and tag by tag (docs/firmware_tools.md)."""
from __future__ import annotations

from firmware_tools.atr import describe_atr
from firmware_tools.decode import command_lines, response_lines
from firmware_tools.trace import Trace


def show_lines(trace: Trace) -> list[str]:
    lines = [f"# {c}" for c in trace.comments]
    if trace.atr is not None:
        lines.append(f"card protocol {trace.protocol or '?'}")
        lines.extend(describe_atr(trace.atr))
    else:
        lines.append("no card (no ATR line)")
    for e in trace.exchanges:
        masked = f"  [masked: {', '.join(e.masked)}]" if e.masked else ""
        lines.append(f"#{e.seq} {e.name}  t={e.t_ms:.3f} ms  took {e.dur_ms:.3f} ms{masked}")
        lines.extend(command_lines(e.command))
        lines.extend(response_lines(e.response, e.command[1] if len(e.command) > 1 else None))
    total = sum(e.dur_ms for e in trace.exchanges)
    lines.append(f"{len(trace.exchanges)} exchanges, {total:.3f} ms at the card")
    return lines


def show_dict(trace: Trace) -> dict:
    return {
        "atr": trace.atr.hex().upper() if trace.atr else None,
        "protocol": trace.protocol,
        "exchanges": [{"seq": e.seq, "name": e.name, "t_ms": e.t_ms, "dur_ms": e.dur_ms,
                       "command": e.command.hex().upper(), "response": e.response.hex().upper(),
                       "masked": e.masked, "decoded": command_lines(e.command) + response_lines(e.response, e.command[1] if len(e.command) > 1 else None)}
                      for e in trace.exchanges],
    }
