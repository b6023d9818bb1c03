"""Command line: `python -m server.voice say A005 3 -o out.wav`, `... clips`, `... words A005 3`."""

import argparse
import sys
import tempfile
from pathlib import Path

from .audio import CallAudio
from .clips import find_clips
from .errors import VoiceError, VoiceInputError
from .numbers import NumberStyle
from .phrases import CLIP_SUFFIX, DEFAULT_TEMPLATE, call_words, required_clips


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server.voice", description="Giọng đọc gọi số thứ tự.")
    style = argparse.ArgumentParser(add_help=False)
    style.add_argument("--template", default=DEFAULT_TEMPLATE, help="mẫu câu gọi, có {số} và {quầy}")
    style.add_argument("--four", default="tư", choices=["tư", "bốn"], help="số 4 sau 'mươi'")
    style.add_argument("--zero-tens", default="linh", choices=["linh", "lẻ"], help="hàng chục bằng 0")
    style.add_argument("--thousand", default="nghìn", choices=["nghìn", "ngàn"])
    call = argparse.ArgumentParser(add_help=False, parents=[style])
    call.add_argument("code", help="mã số thứ tự, ví dụ A005")
    call.add_argument("counter", help="số quầy, ví dụ 3")
    call.add_argument("--digits", action="store_true", help="đọc từng chữ số (A005: a không không năm)")
    commands = parser.add_subparsers(dest="command", required=True)

    say = commands.add_parser("say", parents=[call], help="ghi tệp WAV của một lượt gọi")
    say.add_argument("-o", "--output", type=Path, required=True)
    say.add_argument("--clips", type=Path, help="thư mục clip thu âm")
    say.add_argument("--cache", type=Path, help="thư mục cache (mặc định: thư mục tạm)")
    say.add_argument("--repeat", type=int, default=2)
    say.add_argument("--no-chime", action="store_true")
    say.add_argument("--espeak", default="espeak-ng")
    say.add_argument("--voice", default="vi")
    say.add_argument("--rate", type=int, default=140)

    commands.add_parser("words", parents=[call], help="in câu gọi")
    clips = commands.add_parser("clips", parents=[style], help="liệt kê các clip cần thu âm")
    clips.add_argument("--clips", type=Path, help="đánh dấu clip đã có / còn thiếu trong thư mục này")
    return parser


def _say(args, style) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        audio = CallAudio(args.clips, args.cache or Path(scratch), args.espeak, args.voice, args.rate,
                          template=args.template, style=style)
        data = audio.wav_for_call(args.code, args.counter, repeat=args.repeat, chime=not args.no_chime,
                                  mode="digits" if args.digits else "number")
    args.output.write_bytes(data)


def _clips(args, style) -> None:
    have = find_clips(args.clips) if args.clips else None
    for name in required_clips(args.template, style):
        if have is None:
            print(name)
        else:
            print(("có   " if name[:-len(CLIP_SUFFIX)] in have else "THIẾU") + "  " + name)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        style = NumberStyle(args.four, args.zero_tens, args.thousand)
        if args.command == "say":
            _say(args, style)
        elif args.command == "words":
            print(call_words(args.code, args.counter, mode="digits" if args.digits else "number",
                             template=args.template, style=style))
        else:
            _clips(args, style)
    except VoiceInputError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except VoiceError as exc:
        print(f"Lỗi ({exc.code}): {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. the output folder does not exist
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
