"""One channel of a stereo-only mic (numpy only: no devices)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.audio.channels import ChannelPicker, louder_channel
from assistant.audio.resample import StreamResampler
from assistant.core.errors import ConfigError
from assistant.settings import config_problems, load_settings

RATE = 48000


def stereo(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.column_stack([left, right]).astype(np.int16).ravel()


def sine(seconds: float, hz: float, amplitude: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * hz * t)


def test_the_louder_channel_wins_and_a_tie_takes_the_first() -> None:
    assert louder_channel(np.array([1.0, 5.0])) == 1
    assert louder_channel(np.array([5.0, 1.0, 5.0])) == 0
    assert louder_channel(np.array([0.0, 0.0])) == 0


@pytest.mark.parametrize("side", [0, 1])
def test_a_hat_with_the_mic_on_one_side_is_heard_at_full_level(side: int) -> None:
    speech = sine(1.5, 300, 8000)
    silence = np.zeros_like(speech)
    frames = stereo(speech, silence) if side == 0 else stereo(silence, speech)
    picker = ChannelPicker(2, None, settle_frames=RATE)
    out = np.concatenate([picker.take(c) for c in np.array_split(frames, 30)])
    assert picker.settled and picker.channel == side
    # the mean of the two sides would peak at 4000: 6 dB lost
    assert np.abs(out).max() == pytest.approx(8000, abs=2)
    assert len(out) == len(speech)


def test_two_mics_are_never_averaged_into_a_comb() -> None:
    # Two mics 2 cm apart hear a 8.6 kHz tone half a period apart (343 m/s / 2 / 0.02 m):
    # their mean cancels it; one of them keeps it.
    hz = 343 / 2 / 0.02
    near, far = sine(1.2, hz, 6000), -sine(1.2, hz, 5000)
    picker = ChannelPicker(2, None, settle_frames=RATE)
    out = picker.take(stereo(near, far)).astype(float)
    mean = (near + far) / 2
    assert np.sqrt(np.mean(out**2)) > 5 * np.sqrt(np.mean(mean**2))
    assert picker.channel == 0


def test_the_choice_is_final_after_the_first_second() -> None:
    picker = ChannelPicker(2, None, settle_frames=RATE)
    loud_left = stereo(sine(1.0, 300, 8000), sine(1.0, 300, 100))
    loud_right = stereo(sine(2.0, 300, 100), sine(2.0, 300, 8000))
    picker.take(loud_left)
    assert picker.settled and picker.channel == 0
    after = picker.take(loud_right)
    assert picker.channel == 0 and np.abs(after).max() < 200


def test_a_channel_named_in_the_config_is_taken_even_when_quiet() -> None:
    picker = ChannelPicker(2, 1, settle_frames=RATE)
    out = picker.take(stereo(sine(0.5, 300, 8000), sine(0.5, 300, 500)))
    assert picker.settled and np.abs(out).max() == pytest.approx(500, abs=2)


def test_a_wide_array_and_an_odd_tail() -> None:
    frames = np.tile(np.array([1, 2, 30, 4], dtype=np.int16), 100)
    picker = ChannelPicker(4, None, settle_frames=50)
    assert picker.take(frames[:-3]).tolist() == [30] * 99
    assert picker.channel == 2


def test_the_resampler_takes_the_picked_channel_to_16k() -> None:
    pytest.importorskip("soxr")
    frames = stereo(np.zeros(RATE), sine(1.0, 440, 8000))
    resampler = StreamResampler(RATE, channels=2, picker=ChannelPicker(2, None, settle_frames=RATE))
    step = 2 * 2400
    out = b"".join(
        resampler.process(frames[i : i + step].tobytes()) for i in range(0, len(frames), step)
    )
    out += resampler.flush()
    heard = np.frombuffer(out, "<i2").astype(float)
    assert len(heard) == pytest.approx(16000, abs=2)
    assert np.abs(heard[200:-200]).max() == pytest.approx(8000, rel=0.02)


@pytest.mark.parametrize(
    ("line", "channel"),
    [("", None), ("mic_channel: auto\n", None), ("mic_channel: left\n", 0),
     ("mic_channel: right\n", 1), ("mic_channel: 2\n", 1)],
)  # fmt: skip
def test_mic_channel_in_the_config(tmp_path: Path, line: str, channel: int | None) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(line)
    assert load_settings({}, config=config).audio.mic_channel == channel


@pytest.mark.parametrize("value", ["middle", "0", "yes", "1.5"])
def test_a_wrong_mic_channel_names_the_line(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"name: Ann\nmic_channel: {value}\n")
    with pytest.raises(ConfigError, match="mic_channel is auto, left, right") as caught:
        load_settings({}, config=config)
    assert "config.yaml:2" in str(caught.value)
    assert any("mic_channel" in str(p) for p in config_problems(config, {}))


def test_the_levels_for_the_log() -> None:
    picker = ChannelPicker(2, None, settle_frames=RATE)
    picker.take(stereo(np.zeros(RATE), sine(1.0, 300, 8000)))
    assert picker.levels_dbfs() == [-120.0, pytest.approx(-15.26, abs=0.06)]
