"""ESC/POS receipt printers (python-escpos) over serial or USB: spec.py parses `[printer] spec`, escpos.py
prints lines and reads the paper status."""
