"""`posterm run`: the operator's terminal. The keypad drives sale after sale until Ctrl-C (or the end of a
--keys script); each confirmed amount goes to the sale of terminal.keypad.runloop.default_process_sale."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the operator's terminal: keypad, screen, sale after sale")
    p.add_argument("--config", type=Path, help="TOML terminal parameters ([keypad], [limits], [terminal])")
    p.add_argument("--keys", help="feed the keypad from a script: 1,2,3,ENTER,ENTER,WAIT:2,...")
    p.add_argument("--keypad-device", help="a Linux input device (/dev/input/eventN) as the keypad; "
                   "default: this terminal")
    p.add_argument("--data-dir", help="where the journal lives (passed to the sale)")
    p.add_argument("--host", help="HOST:PORT of the acquirer (passed to the sale)")
    p.add_argument("--reader", help="reader spec (passed to the sale)")
    p.add_argument("--pin", help="for emulated readers: the PIN the emulated cardholder enters")
    p.set_defaults(run=run)


def _load_config(path: Path | None) -> dict:
    import tomllib

    from terminal.keypad.errors import KeypadSettingsError

    if path is None:
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise KeypadSettingsError(f"--config {path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KeypadSettingsError(f"--config {path}: not valid TOML ({exc})") from exc


def run(args: argparse.Namespace) -> int:
    # Imported here so `posterm --help` does not pay for the keypad.
    from drivers.keypad.errors import KeyMapError, KeypadDeviceError, KeyScriptError
    from terminal.keypad.errors import KeypadSettingsError
    from drivers.keypad.keymap import evdev_map_from, tty_map_from
    from terminal.keypad.runloop import default_process_sale, run_terminal
    from terminal.keypad.screen import TextDisplay
    from terminal.keypad.settings import for_tty, settings_from_config

    try:
        config = _load_config(args.config)
        settings = settings_from_config(config)
        keypad_table = config.get("keypad", {})
        if args.keys is not None:
            from drivers.keypad.script import ScriptedKeys

            source = ScriptedKeys.parse(args.keys)
            clock = source.clock
        elif args.keypad_device:
            from drivers.keypad.evdev import EvdevKeySource

            source = EvdevKeySource(args.keypad_device, evdev_map_from(keypad_table.get("evdev_map")))
            clock = time.monotonic
        else:
            from drivers.keypad.tty import TtyKeySource

            source = TtyKeySource(sys.stdin.fileno(), tty_map_from(keypad_table.get("tty_map")))
            clock = time.monotonic
            settings = for_tty(settings)
    except (KeypadSettingsError, KeyScriptError, KeyMapError) as exc:
        print(f"posterm run: {exc}", file=sys.stderr)
        return 2
    except KeypadDeviceError as exc:
        print(f"posterm run: {exc}", file=sys.stderr)
        return 4

    display = TextDisplay(sys.stdout.write, sys.stdout.flush, redraw=args.keys is None and sys.stdout.isatty())
    try:
        run_terminal(
            source,
            clock,
            default_process_sale(args),
            settings=settings,
            show=display.show,
            show_receipt=display.show_receipt,
        )
    except KeypadDeviceError as exc:
        print(f"\nposterm run: {exc}", file=sys.stderr)
        return 4
    finally:
        source.close()
    print()
    return 0
