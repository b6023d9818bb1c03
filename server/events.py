"""Every Socket.IO namespace and event name of the wire protocol (docs/protocol.md)."""

# Namespaces
KIOSK = "/kiosk"
DISPLAY = "/display"
BOARD = "/board"
COUNTER = "/counter"

# Kiosk -> server (each acknowledged)
TICKET = "ticket"
RATING = "rating"
STATUS = "status"
PRINT_FAILED = "print_failed"
COUNTER_ACTION = "counter_action"  # a counter keypad device: {"id", "action", ...}

# Server -> kiosk (at connect, and again when an administrator changes it)
DEVICE_CONFIG = "device_config"

# Server -> display / board / counter consoles
SNAPSHOT = "snapshot"
CALLED = "called"
BOARD_UPDATE = "board"
COUNTER_UPDATE = "counter"
RATING_RECEIVED = "rating_received"

# Socket.IO's own message when a connection is refused for its credentials
UNAUTHORIZED = "unauthorized"

# /display, issue 12: an unpaired TV asks for its pairing code, then for its token (acknowledged)
PAIR = "pair"
