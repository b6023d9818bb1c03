"""`python -m server.wire --write` regenerates the payload tables of docs/protocol.md from the
models; `--check` exits 1 with a diff when the document differs from them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.wire", description=__doc__)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the tables in place")
    mode.add_argument("--check", action="store_true", help="exit 1 and print a diff if the document differs")
    ap.add_argument("--doc", type=Path, default=doc.DOC, help="the document (default: docs/protocol.md)")
    args = ap.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    if args.check:
        problems = doc.diff(text, str(args.doc))
        if problems:
            sys.stdout.write(problems)
            print(f"\n{args.doc} differs from server/wire: run `python -m server.wire --write`", file=sys.stderr)
            return 1
        return 0
    found = doc.markers(text)
    unknown = [n for n in found if n not in doc.TABLES]
    if unknown:
        print(f"{args.doc}: unknown wire markers {', '.join(unknown)}", file=sys.stderr)
        return 1
    new = doc.render(text)
    if new != text:
        args.doc.write_text(new, encoding="utf-8")
    missing = [n for n in doc.TABLES if n not in found]
    if missing:
        print(f"{args.doc}: no marker for {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
