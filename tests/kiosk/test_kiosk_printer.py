"""Printer drivers: the right ESC/POS bytes, and every kind of printer trouble caught and reported."""

from __future__ import annotations

import errno
import socket
import threading

import pytest
import usb.core
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb
from PIL import Image

from kiosk.config import PrinterConfig
from kiosk.printer import (
    OFFLINE,
    OK,
    PAPER_LOW,
    PAPER_OUT,
    EscposDriver,
    PngDriver,
    Printer,
    PrintFailed,
    build_driver,
    escpos_factory,
)
from tests.kiosk.kiosk_helpers import CUT, RASTER, Factory

IMAGE = Image.new("1", (576, 40), 1)


class Unplugged(Dummy):
    def open(self):
        raise DeviceNotFoundError("Unable to open USB printer on (1046, 20497): not found or cable not plugged in.")


class DiesMidPrint(Dummy):
    """USB cable pulled while the image is being sent."""

    def _raw(self, msg):
        if self._output_list:
            raise usb.core.USBError("No such device (it may have been disconnected)", errno.ENODEV)
        super()._raw(msg)


class BrokenPipe(Dummy):
    def _raw(self, msg):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def with_status(byte: int | None):
    class Answering(Dummy):
        def _read(self):
            return b"" if byte is None else bytes([byte])

    return Answering


class NeverAnswers(Dummy):
    def _read(self):
        raise usb.core.USBTimeoutError("Operation timed out", errno.ETIMEDOUT)


def test_image_is_sent_as_raster_then_cut():
    factory = Factory(Dummy)
    driver = EscposDriver(factory, 576)
    assert driver.print_image(IMAGE, "A001") == OK
    out = factory.made[0].output
    assert out.startswith(RASTER)
    # GS v 0, m=0, xL xH = 72 bytes per row (576 dots), yL yH = 40 rows
    assert out[4:8] == bytes([72, 0, 40, 0])
    # GS V 0 (full cut), then at most the paper status query DLE EOT 4
    assert out.endswith(CUT + b"\x00") or out.endswith(CUT + b"\x00\x10\x04\x04")
    assert out.index(CUT) > out.index(RASTER)


def test_media_width_is_set_per_printer_not_shared(capsys):
    factory = Factory(Dummy)
    EscposDriver(factory, 384).print_image(Image.new("1", (384, 8), 1), "x")
    assert factory.made[0].profile.profile_data["media"]["width"]["pixels"] == 384
    assert Dummy().profile.profile_data["media"]["width"]["pixels"] == "Unknown"
    assert "media.width.pixel" not in capsys.readouterr().out  # no python-escpos warning on stdout


def test_too_wide_image_fails_cleanly():
    driver = EscposDriver(Factory(Dummy), 384)
    with pytest.raises(PrintFailed) as info:
        driver.print_image(IMAGE, "A001")  # 576 > 384: python-escpos ImageWidthError
    assert info.value.state == OFFLINE


def test_unplugged_printer_is_offline_and_nothing_is_raised_by_probe():
    driver = EscposDriver(Factory(Unplugged), 576)
    assert driver.probe() == OFFLINE
    with pytest.raises(PrintFailed) as info:
        driver.print_image(IMAGE, "A001")
    assert info.value.state == OFFLINE and "DeviceNotFoundError" in info.value.reason


def test_usb_error_mid_print_then_power_cycle_brings_it_back():
    factory = Factory(DiesMidPrint, Dummy)
    driver = EscposDriver(factory, 576)
    with pytest.raises(PrintFailed) as info:
        driver.print_image(Image.new("1", (576, 2000), 1), "A001")  # split in fragments: dies on the second
    assert info.value.state == OFFLINE and "USBError" in info.value.reason
    # The broken object is dropped; the next use builds a new one (the printer was power-cycled).
    assert driver.probe() == OK
    assert driver.print_image(IMAGE, "A002") == OK
    assert len(factory.made) == 2 and RASTER in factory.made[1].output


def test_oserror_from_the_connection_is_caught():
    driver = EscposDriver(Factory(BrokenPipe), 576)
    with pytest.raises(PrintFailed) as info:
        driver.print_image(IMAGE, "A001")
    assert "BrokenPipeError" in info.value.reason


def test_file_printer_on_a_missing_device(tmp_path):
    config = PrinterConfig(kind="file", path=str(tmp_path / "no" / "lp0"))
    driver = build_driver(config)
    assert driver.probe() == OFFLINE
    with pytest.raises(PrintFailed):
        driver.print_image(IMAGE, "A001")


def test_file_printer_writes_the_bytes(tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    driver = build_driver(PrinterConfig(kind="file", path=str(device)))
    assert driver.print_image(IMAGE, "A001") == OK  # File cannot read status: assumed ok
    driver.close()
    data = device.read_bytes()
    assert data.startswith(RASTER) and CUT in data


@pytest.mark.parametrize("byte, state", [(0x12, OK), (0x1E, PAPER_LOW), (0x72, PAPER_OUT), (None, OK)])
def test_paper_status(byte, state):
    driver = EscposDriver(Factory(with_status(byte)), 576)
    assert driver.probe() == state


def test_paper_running_out_during_a_print_fails_the_ticket():
    driver = EscposDriver(Factory(with_status(0x72)), 576)
    with pytest.raises(PrintFailed) as info:
        driver.print_image(IMAGE, "A001")
    assert info.value.state == PAPER_OUT


def test_printer_that_never_answers_status_is_not_called_offline():
    factory = Factory(NeverAnswers)
    driver = EscposDriver(factory, 576)
    assert driver.probe() == OK
    assert driver.print_image(IMAGE, "A001") == OK
    assert factory.made[0].output.count(b"\x10\x04\x04") == 1  # asked once, then not again


def test_status_query_can_be_switched_off():
    driver = EscposDriver(Factory(with_status(0x72)), 576, status_query=False)
    assert driver.probe() == OK


def test_printer_service_reports_changes():
    changes = []
    factory = Factory(Unplugged, Dummy)
    printer = Printer(EscposDriver(factory, 576), on_change=changes.append)
    assert printer.state == OFFLINE
    with pytest.raises(PrintFailed):
        printer.print_image(IMAGE, "A001")
    assert printer.state == OFFLINE and "DeviceNotFoundError" in printer.detail
    assert printer.probe() == OK
    assert changes == [OK] and printer.detail == ""


def test_printer_service_turns_unknown_errors_into_print_failed():
    class Weird:
        def probe(self):
            return OK

        def print_image(self, image, name):
            raise RuntimeError("bug")

        def close(self):
            pass

    printer = Printer(Weird())
    with pytest.raises(PrintFailed) as info:
        printer.print_image(IMAGE, "A001")
    assert info.value.state == OFFLINE and printer.state == OFFLINE


def test_no_printer():
    printer = Printer(None)
    assert printer.state == "none" and printer.probe() == "none"
    with pytest.raises(PrintFailed):
        printer.print_image(IMAGE, "A001")


def test_png_driver(tmp_path):
    driver = PngDriver(tmp_path / "t")
    assert driver.probe() == OK
    assert driver.print_image(IMAGE, "A 001/x") == OK
    assert driver.last_path.parent == tmp_path / "t" and driver.last_path.name.endswith("-A_001_x.png")
    assert Image.open(driver.last_path).size == (576, 40)


def test_factories_build_the_configured_class_without_opening():
    usb_printer = escpos_factory(PrinterConfig(kind="usb", usb_vendor=0x0416, usb_product=0x5011, timeout_s=2))()
    assert isinstance(usb_printer, Usb)
    assert usb_printer.usb_args == {"idVendor": 0x0416, "idProduct": 0x5011} and usb_printer.timeout == 2000
    serial_printer = escpos_factory(PrinterConfig(kind="serial", serial_port="/dev/ttyS0", baudrate=19200))()
    assert isinstance(serial_printer, Serial) and serial_printer.baudrate == 19200
    net = escpos_factory(PrinterConfig(kind="network", host="10.0.0.9", port=9100))()
    assert isinstance(net, Network) and (net.host, net.port) == ("10.0.0.9", 9100)
    assert isinstance(escpos_factory(PrinterConfig(kind="file", path="/dev/usb/lp0"))(), File)


@pytest.mark.parametrize("config", [
    PrinterConfig(kind="usb", usb_vendor=0x0FFF, usb_product=0x0FFF, timeout_s=0.5),
    PrinterConfig(kind="serial", serial_port="/dev/ttyNONEXISTENT"),
    PrinterConfig(kind="network", host="127.0.0.1", port=9, timeout_s=0.5),
])
def test_real_drivers_without_a_device_are_offline(config):
    driver = build_driver(config)
    assert driver.probe() == OFFLINE
    with pytest.raises(PrintFailed) as info:
        driver.print_image(IMAGE, "A001")
    assert info.value.state == OFFLINE


class FakeNetworkPrinter:
    """A TCP ESC/POS printer on loopback: stores bytes, answers DLE EOT 4 with `paper`."""

    def __init__(self, paper: int = 0x12):
        self.paper = paper
        self.data = bytearray()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    self.data += chunk
                    if chunk.endswith(b"\x10\x04\x04"):
                        conn.sendall(bytes([self.paper]))

    def close(self):
        self.sock.close()


def test_network_printer_end_to_end():
    fake = FakeNetworkPrinter(paper=0x1E)
    try:
        driver = build_driver(PrinterConfig(kind="network", host="127.0.0.1", port=fake.port, timeout_s=2))
        assert driver.probe() == PAPER_LOW
        assert driver.print_image(IMAGE, "A001") == PAPER_LOW
        driver.close()
        assert RASTER in bytes(fake.data) and CUT in bytes(fake.data)
    finally:
        fake.close()
