"""Per-event validation CPU of the kiosk's `rating` and `ticket` payloads: the pydantic models of
server/wire and equivalent msgspec Structs. (The first run also timed the hand-written
server/protocol.py they replaced; its figures stay in docs/benchmarks.md.)

    .venv/bin/python bench/wire_bench.py [--number 20000] [--repeat 9]

Each figure is the median over `--repeat` timeit runs of `--number` calls, in µs of this
process's CPU time (time.process_time, so time spent waiting for a core on a busy machine does not
count) per call, on one thread; the cases take turns, run by run, so a change of load hits all. The input is what a Socket.IO handler gets: the payload already decoded by
python-socketio into a dict (so msgspec's JSON decoding, its main strength, does not apply; the
last rows time bytes -> validated object for both, for reference). "bad" is a refused payload
(score 9 / a 201-character service), error message built included. msgspec needs msgspec
(requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
import uuid
from pathlib import Path
from typing import Annotated

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec  # noqa: E402
import pydantic  # noqa: E402

from server import wire  # noqa: E402
from server.errors import BadRequest  # noqa: E402

UID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
RATING = {"id": UID, "score": 5, "age_ms": 1500}
TICKET = {"id": UID, "service": "DD", "priority": False}
BAD_RATING = {"id": UID, "score": 9, "age_ms": 1500}
BAD_TICKET = {"id": UID, "service": "D" * 201, "priority": False}

Text = Annotated[str, msgspec.Meta(max_length=200)]


class MsRating(msgspec.Struct, forbid_unknown_fields=True):
    id: Text
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    age_ms: Annotated[int, msgspec.Meta(ge=0, le=30 * 86400 * 1000)] = 0

    def __post_init__(self):
        try:
            self.id = str(uuid.UUID(self.id))
        except ValueError:
            raise ValueError("id is not a UUID") from None


class MsTicket(msgspec.Struct, forbid_unknown_fields=True):
    id: Text
    service: Text
    priority: bool = False

    def __post_init__(self):
        try:
            self.id = str(uuid.UUID(self.id))
        except ValueError:
            raise ValueError("id is not a UUID") from None


def ms_parse(kind, payload):
    """msgspec with the same contract as wire.parse: a BadRequest naming the problem."""
    if not isinstance(payload, dict):
        raise BadRequest("dữ liệu phải là một đối tượng JSON")
    try:
        return msgspec.convert(payload, kind, strict=True)
    except msgspec.ValidationError as exc:
        raise BadRequest(str(exc)) from None


def refusing(fn):
    def call():
        try:
            fn()
        except BadRequest:
            pass
    return call


def medians_us(fns: list, number: int, repeat: int) -> list[float]:
    """Median CPU µs per call of each function; the functions take turns, run by run."""
    runs: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()  # warm up (pydantic/msgspec caches)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            runs[i].append(timeit.Timer(fn, timer=time.process_time).timeit(number))
    return [statistics.median(r) / number * 1e6 for r in runs]


def machine() -> str:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "")
    except OSError:
        pass
    load = os.getloadavg()
    return (f"nproc {os.cpu_count()}, {model or platform.processor()}, Python {platform.python_version()}, "
            f"pydantic {pydantic.VERSION}, msgspec {msgspec.__version__}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args(argv)

    # The two must agree on what they accept before their speed is worth comparing.
    assert msgspec.structs.asdict(ms_parse(MsRating, RATING)) == wire.parse(wire.Rating, RATING).model_dump()
    assert msgspec.structs.asdict(ms_parse(MsTicket, TICKET)) == wire.parse(wire.Ticket, TICKET).model_dump()
    for fn in (lambda: wire.parse(wire.Rating, BAD_RATING), lambda: ms_parse(MsRating, BAD_RATING)):
        try:
            fn()
            raise AssertionError("accepted a bad payload")
        except BadRequest:
            pass

    blob_rating, blob_ticket = json.dumps(RATING).encode(), json.dumps(TICKET).encode()
    cases = [
        ("rating", "pydantic Rating.model_validate", lambda: wire.Rating.model_validate(RATING)),
        ("rating", "pydantic wire.parse(Rating, ...)", lambda: wire.parse(wire.Rating, RATING)),
        ("rating", "msgspec.convert(..., MsRating)", lambda: ms_parse(MsRating, RATING)),
        ("rating, bad", "pydantic wire.parse", refusing(lambda: wire.parse(wire.Rating, BAD_RATING))),
        ("rating, bad", "msgspec", refusing(lambda: ms_parse(MsRating, BAD_RATING))),
        ("ticket", "pydantic Ticket.model_validate", lambda: wire.Ticket.model_validate(TICKET)),
        ("ticket", "pydantic wire.parse(Ticket, ...)", lambda: wire.parse(wire.Ticket, TICKET)),
        ("ticket", "msgspec.convert(..., MsTicket)", lambda: ms_parse(MsTicket, TICKET)),
        ("ticket, bad", "pydantic wire.parse", refusing(lambda: wire.parse(wire.Ticket, BAD_TICKET))),
        ("ticket, bad", "msgspec", refusing(lambda: ms_parse(MsTicket, BAD_TICKET))),
        ("rating bytes", "json.loads + wire.parse", lambda: wire.parse(wire.Rating, json.loads(blob_rating))),
        ("rating bytes", "pydantic Rating.model_validate_json", lambda: wire.Rating.model_validate_json(blob_rating)),
        ("rating bytes", "msgspec.json.decode(type=MsRating)", lambda: msgspec.json.decode(blob_rating, type=MsRating)),
        ("ticket bytes", "json.loads + wire.parse", lambda: wire.parse(wire.Ticket, json.loads(blob_ticket))),
        ("ticket bytes", "msgspec.json.decode(type=MsTicket)", lambda: msgspec.json.decode(blob_ticket, type=MsTicket)),
    ]
    print(f"Machine: {machine()}; {args.repeat} runs of {args.number} calls, median CPU µs per call")
    figures = medians_us([fn for _payload, _name, fn in cases], args.number, args.repeat)
    print("| payload | validator | µs per event |")
    print("|---|---|---|")
    for (payload, name, _fn), us in zip(cases, figures):
        print(f"| {payload} | {name} | {us:.2f} |")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
