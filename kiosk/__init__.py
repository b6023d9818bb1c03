"""The Raspberry Pi kiosk agent: buttons, LEDs, a thermal printer and a durable outbox.

Run it with `python -m kiosk --config kiosk.toml` (or `--simulate`). See docs/kiosk.md.
"""

__version__ = "0.1.0"
