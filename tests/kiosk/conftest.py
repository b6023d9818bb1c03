"""Fixtures for the kiosk agent: mock GPIO pins and a fake clock."""

from __future__ import annotations

import pytest

from kiosk.clock import Clock
from tests.kiosk.kiosk_helpers import FakeTime


@pytest.fixture
def pin_factory():
    """A fresh gpiozero MockFactory, installed as the default too; the previous one comes back after."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = previous


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def fake_clock(fake_time):
    return Clock(monotonic=fake_time, wall=lambda: 1_800_000_000.0 + fake_time.t, boot_id="boot-1",
                 synced=lambda: True, since_boot=fake_time)
