"""The microphone, the player and a listen on PipeWire (pipewire-pulse and WirePlumber,
as on Raspberry Pi OS's desktop), a private instance with the same virtual devices
as the PulseAudio tests; and a stereo-only mic with one silent side through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.wav import read_wav, write_wav
from assistant.core.endpoint import EndpointRules
from assistant.core.ports import ListenRequest, Utterance
from assistant.core.voice_commands import Command
from assistant.platform_info import sound_server
from assistant.speech.vosk_listener import VoskListener
from tests.cli import ROOT
from tests.support.sounds import answer_wav, loud_seconds
from tests.support.virtual_pipewire import (
    PLUGIN_FOLDER,
    VirtualPipeWire,
    asoundrc_for,
    missing_pipewire,
    pipewire_alsa_plugin,
)

pytestmark = pytest.mark.engine


def rescan() -> None:
    """PortAudio scans once; a sound server of its own needs a fresh look."""
    if "sounddevice" in sys.modules:
        sd = sys.modules["sounddevice"]
        sd._terminate()
        sd._initialize()


@pytest.fixture(scope="module")
def pipewire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualPipeWire]:
    """This process pointed at a private PipeWire for the module, then back."""
    why = missing_pipewire()
    if why:
        pytest.skip(f"no PipeWire: {why}")
    pytest.importorskip("sounddevice", reason="sounddevice is not installed")
    audio = VirtualPipeWire(tmp_path_factory.mktemp("pipewire"))
    try:
        audio.start()
    except RuntimeError as e:  # e.g. a WirePlumber whose configuration this one misses
        pytest.skip(f"the private PipeWire did not start here: {e}")
    saved = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = audio.env["PULSE_SERVER"]
    try:
        rescan()
        yield audio
    finally:
        audio.stop()
        if saved is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = saved
        rescan()


def test_doctor_names_pipewire(pipewire: VirtualPipeWire) -> None:
    env = {"XDG_RUNTIME_DIR": str(pipewire.run_dir), **pipewire.env}
    assert sound_server(env).startswith("PipeWire with pipewire-pulse")


def test_the_player_is_heard_whole_on_pipewire(pipewire: VirtualPipeWire, tmp_path: Path) -> None:
    from assistant.audio.player import SoundDevicePlayer

    sound, _ = answer_wav(tmp_path / "prompt.wav", "오늘 기분이 어떠세요", lead=0.2, tail=0.2)
    length = read_wav(sound).seconds
    with pipewire.record(tmp_path / "heard.wav") as heard:
        started = time.perf_counter()
        SoundDevicePlayer().play(sound)
        took = time.perf_counter() - started
        time.sleep(0.3)
    assert length - 0.05 <= took <= length + 1.0
    assert loud_seconds(heard) == pytest.approx(loud_seconds(sound), abs=0.2)


@pytest.mark.slow  # the Korean model loads for this module: 10-15 s on the test machine
def test_a_command_through_the_microphone_on_pipewire(
    pipewire: VirtualPipeWire, listener: VoskListener, tmp_path: Path
) -> None:
    from assistant.audio.mic import SoundDeviceMic

    mic = SoundDeviceMic()
    result: dict[str, object] = {}
    ready = threading.Event()
    request = ListenRequest(
        step="mic",
        commands={Command.STOP: ("중지",), Command.DONE: ("네",)},
        rules=EndpointRules(silence=1.5),
        on_ready=ready.set,
    )

    def listen() -> None:
        result["heard"] = listener.listen(request)

    try:
        listener.source = mic
        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        assert ready.wait(10)
        pipewire.feed(answer_wav(tmp_path / "stop.wav", "중지", tail=2.0)[0])
        thread.join(20)
    finally:
        mic.close()
    heard = result.get("heard")
    assert isinstance(heard, Utterance), result
    assert heard.command == Command.STOP


def test_a_stereo_mic_with_one_silent_side_on_pipewire(
    pipewire: VirtualPipeWire, tmp_path: Path
) -> None:
    """A mic HAT as PipeWire shows it: a stereo source, the microphone on the right.
    Asked for one channel, the server would average the sides (6 dB lost); ritual
    asks for both and listens to the right."""
    from assistant.audio.mic import SoundDeviceMic

    for words in (
        ("load-module", "module-null-sink", "sink_name=hat_feed", "rate=48000", "channels=2"),
        ("load-module", "module-remap-source", "source_name=hat", "master=hat_feed.monitor"),
        ("set-default-source", "hat"),
    ):
        assert pipewire.pactl(*words).returncode == 0, words
    rate = 48000
    t = np.arange(2 * rate) / rate
    right = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    frames = np.column_stack([np.zeros_like(right), right]).ravel()
    write_wav(tmp_path / "hat.wav", frames.astype("<i2").tobytes(), rate, channels=2)
    mic = SoundDeviceMic()
    heard = bytearray()
    try:
        mic.skip_pending()
        feeding = threading.Thread(target=pipewire.feed, args=(tmp_path / "hat.wav", "hat_feed"))
        feeding.start()
        while len(heard) < 1.5 * 32000:
            heard += mic.read(timeout=1.0) or b""
        feeding.join(10)
    finally:
        mic.close()
        pipewire.pactl("set-default-source", "vmic")
    assert (mic.channels, mic.channel) == (2, 1)
    x = np.frombuffer(bytes(heard), "<i2").astype(float)
    # a sine of amplitude 8000 is -15.2 dBFS; the two sides averaged, -21.2
    dbfs = 20 * np.log10(np.sqrt(np.mean(x[-8000:] ** 2)) / 32768)
    assert dbfs == pytest.approx(-15.2, abs=1.0)


THROUGH_ALSA = """
import json, sys, threading
from pathlib import Path
import numpy as np
from assistant.audio.mic import SoundDeviceMic
from assistant.audio.player import SoundDevicePlayer
SoundDevicePlayer().play(Path(sys.argv[1]))
mic = SoundDeviceMic()
print("open", flush=True)
heard = b""
while len(heard) < 1.5 * 32000:
    heard += mic.read(timeout=1.0) or b""
mic.close()
x = np.frombuffer(heard, "<i2").astype(float)[-8000:]
dbfs = 20 * np.log10(np.sqrt(np.mean(x ** 2)) / 32768)
print(json.dumps({"name": mic.device.name, "dbfs": dbfs}))
"""


def test_alsa_default_through_pipewire_alsa(pipewire: VirtualPipeWire, tmp_path: Path) -> None:
    """Raspberry Pi OS's desktop: ALSA's default device is PipeWire's own ALSA plugin
    (pipewire-alsa), no pulse protocol in between. In a process of its own, whose
    ~/.asoundrc makes that the default."""
    plugin = pipewire_alsa_plugin(dict(os.environ))
    if plugin is None:
        pytest.skip(
            f"pipewire-alsa is not installed (it conflicts with pulseaudio): `make "
            f"test-pipewire` unpacks it and names the folder in {PLUGIN_FOLDER}"
        )
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(asoundrc_for(plugin))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(pipewire.run_dir))
    sound, _ = answer_wav(tmp_path / "prompt.wav", "오늘 기분이 어떠세요", lead=0.2, tail=0.2)
    t = np.arange(2 * 16000) / 16000
    tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype("<i2").tobytes()
    write_wav(tmp_path / "tone.wav", tone, 16000)
    with pipewire.record(tmp_path / "heard.wav") as played:
        child = subprocess.Popen(
            [sys.executable, "-c", THROUGH_ALSA, str(sound)], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "open", child.communicate(timeout=30)
        pipewire.feed(tmp_path / "tone.wav")
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    heard = json.loads(out)
    assert heard["name"] == "default"
    assert loud_seconds(played) == pytest.approx(loud_seconds(sound), abs=0.2)
    assert heard["dbfs"] == pytest.approx(-15.2, abs=1.0)  # the tone, whole


@pytest.mark.slow  # a whole ritual in real time: about 30 s
def test_a_voice_ritual_on_pipewire(
    pipewire: VirtualPipeWire, ko_model: Path, tmp_path: Path
) -> None:
    from tests.engine.test_voice_ritual import run_ritual

    feeling, _ = answer_wav(
        tmp_path / "feeling.wav", "오늘은 정말 좋은 하루였어요", lead=0.5, tail=2.5
    )
    need, _ = answer_wav(
        tmp_path / "need.wav", "저는 조금 쉬고 싶어요", "중지", lead=0.5, gap=1.6, tail=3.5
    )
    with pipewire.record(tmp_path / "speaker.wav") as speaker:
        done, events = run_ritual(pipewire, tmp_path, ko_model, {"feeling": feeling, "need": need})
    assert done.returncode == 0, done.stderr
    heard = {e["step"]: e["text"] for e in events if e["event"] == "heard"}
    assert set(heard) == {"feeling", "need"} and all(heard.values()), events
    assert events[-1]["event"] == "done" and events[-1]["status"] == "stopped"
    assert loud_seconds(speaker) > 2.0  # the prompts were heard on the speaker


@pytest.mark.slow  # a wake phrase in real time, the model loaded in a process: about 20 s
def test_listen_wakes_on_pipewire(
    pipewire: VirtualPipeWire, ko_model: Path, tmp_path: Path
) -> None:
    """``ritual listen`` hears its wake phrase through PipeWire, speaks, and opens the
    microphone again for the answer; SIGTERM then ends it cleanly."""
    from tests.engine.test_listen import WAKE_MORNING, Listener

    listener = Listener(pipewire, tmp_path, ko_model)
    try:
        listener.wait_for("waiting", wake=True)
        time.sleep(1.0)  # the model has loaded and the mic is open
        with pipewire.record(tmp_path / "speaker.wav") as speaker:
            listener.say("wake", WAKE_MORNING)
            listener.wait_for("woke", ritual="morning")
            listener.wait_for("listening", step="feeling")
    finally:
        status, err = listener.stop()
    assert status == 0, err
    assert "woke: morning" in err and "Traceback" not in err
    assert loud_seconds(speaker) > 2.0  # the greeting and the question were heard
