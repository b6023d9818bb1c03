"""`python -m server.voice`: say, words, clips."""

import subprocess
import sys
import wave
from pathlib import Path

from server.voice import required_clips

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "server.voice", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_say_writes_a_wav(espeak_ng, tmp_path):
    out = tmp_path / "out.wav"
    proc = run("say", "A005", "3", "-o", out, "--espeak", espeak_ng)
    assert proc.returncode == 0, proc.stderr
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() / w.getframerate() > 5  # chime and two sayings


def test_say_with_clips_needs_no_espeak(tmp_path, dc_clips):
    dc_clips(tmp_path / "clips")
    out = tmp_path / "out.wav"
    proc = run("say", "AB012", "21", "-o", out, "--clips", tmp_path / "clips", "--espeak", "/nonexistent/espeak-ng",
               "--digits", "--repeat", "1", "--no-chime")
    assert proc.returncode == 0, proc.stderr
    with wave.open(str(out)) as w:
        assert w.getnframes() > 0


def test_say_reports_bad_input_and_missing_voice(tmp_path):
    out = tmp_path / "out.wav"
    bad = run("say", "A-5", "3", "-o", out)
    assert bad.returncode == 2 and "'A-5'" in bad.stderr and not out.exists()
    mute = run("say", "A5", "3", "-o", out, "--espeak", "/nonexistent/espeak-ng")
    assert mute.returncode == 1 and "voice_unavailable" in mute.stderr and not out.exists()


def test_words():
    proc = run("words", "AB012", "24", "--zero-tens", "lẻ")
    assert proc.stdout == "Xin mời công dân có số thứ tự a bê mười hai đến quầy số hai mươi tư\n"


def test_clips_lists_what_to_record(tmp_path, dc_clips):
    proc = run("clips")
    assert proc.returncode == 0 and proc.stdout.splitlines() == required_clips()
    dc_clips(tmp_path / "clips", names={"a", "ba"})
    marked = run("clips", "--clips", tmp_path / "clips").stdout.splitlines()
    assert len(marked) == len(required_clips())
    assert sorted(line.split(None, 1)[1] for line in marked if line.startswith("có")) == ["a.wav", "ba.wav"]
    assert sum(line.startswith("THIẾU") for line in marked) == len(required_clips()) - 2
