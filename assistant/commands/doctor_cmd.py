"""``ritual doctor``: check what a voice ritual needs, and say how to fix each part.

Every check prints one line, ``OK …`` or ``FIX …`` with the exact fix; the exit
status is 1 when anything needs fixing. Engines load inside the checks (through
``assistant.engines``), so a missing one is a FIX line, not a crash.
"""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from assistant import platform_info, service
from assistant.app import listen_readiness
from assistant.context import Context
from assistant.core.barge_in import BargeIn
from assistant.core.errors import RitualError
from assistant.engines import polish, probes, voices
from assistant.modelstore.lookup import complete_model
from assistant.settings import Settings

MIC_SECONDS = 0.5
"""how long the microphone is listened to"""


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{'OK ' if self.ok else 'FIX'} {self.what}: {self.detail}"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "doctor",
        parents=[common],
        help="check speech, audio, the model and the journal folder",
        description="Say what this machine is (CPU, 32/64-bit, Python, sound server, "
        "the extras it cannot have); check espeak-ng, the Piper voice (when the config "
        "asks for one), PortAudio, the speaker, the speech model, the second listen, the "
        "microphone, barge-in (the echo left in this room, when it is on), the journal "
        "folder, encryption and the service; say how to fix what is missing.",
    )
    p.add_argument("--input-device", metavar="NAME|INDEX", help="microphone to check")
    p.add_argument("--output-device", metavar="NAME|INDEX", help="speaker to check")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    checks: list[Callable[[Settings], Check]] = [
        lambda _: Check(True, "machine", platform_info.this_cpu()),
        lambda _: Check(True, "Python", platform_info.this_python()),
        lambda _: Check(True, "sound server", platform_info.sound_server(ctx.environ)),
        lambda _: Check(True, "extras", platform_info.describe_extras(this_machines_extras())),
        check_espeak,
        check_piper,
        check_portaudio,
        check_speaker,
        check_model,
        lambda settings: check_polish(settings, ctx.environ),
        check_mic,
        check_barge_in,
        check_journal,
        check_encryption,
        lambda settings: check_service(ctx.environ, settings),
    ]
    failed = 0
    for check in checks:
        result = check(settings)
        ctx.out(str(result))
        failed += not result.ok
    if failed:
        ctx.out(f"{failed} thing(s) to fix; or run a ritual typed, with: ritual run NAME --text")
    else:
        ctx.out("All set: ritual run morning")
    return 1 if failed else 0


def this_machines_extras() -> list[platform_info.Extra]:
    return platform_info.extras(platform_info.userland_bits(), sys.version_info[:2])


def check_espeak(settings: Settings) -> Check:
    missing = voices.espeak_problem()
    if missing:
        return Check(False, "espeak-ng", missing)
    voice = settings.voice.name or "en-us"
    with tempfile.TemporaryDirectory(prefix="ritual-doctor-") as tmp:
        try:
            seconds = probes.time_speech(settings.voice, voice, Path(tmp))
        except RitualError as e:
            return Check(False, "espeak-ng", str(e))
    return Check(True, "espeak-ng", f"speaks through pyttsx3 (voice {voice}, {seconds:.2f} s)")


def check_piper(settings: Settings) -> Check:
    voice = settings.voice
    if not voice.wants_piper:
        return Check(True, "Piper", "not asked for (voice: {engine: piper} for a warmer voice)")
    with tempfile.TemporaryDirectory(prefix="ritual-doctor-") as tmp:
        try:
            found = probes.time_piper(settings, voice, voice.name or "en-us", Path(tmp))
        except RitualError as e:
            return Check(False, "Piper", f"{e} (until then espeak-ng speaks)")
    return Check(
        True,
        "Piper",
        f"voice {found.voice} loads in {found.load_seconds:.1f} s and "
        f"{_speed(found.real_time_factor)}",
    )


def _speed(real_time_factor: float) -> str:
    """Piper's speed in plain words: how long ten seconds of speech take to make."""
    took = 10 * real_time_factor
    if real_time_factor < 1:
        return f"makes 10 seconds of speech in {took:.1f} s (faster than it is spoken)"
    return (
        f"makes 10 seconds of speech in {took:.0f} s, slower than it is spoken "
        "(`ritual prepare` renders the prompts ahead)"
    )


def check_portaudio(settings: Settings) -> Check:
    try:
        version = probes.portaudio_version()
    except RitualError as e:
        return Check(False, "PortAudio", str(e))
    return Check(True, "PortAudio", version)


def check_speaker(settings: Settings) -> Check:
    try:
        device = probes.find_audio_device(settings.audio.output_device, "output")
    except RitualError as e:
        return Check(False, "speaker", str(e))
    return Check(True, "speaker", f"{device.index} {device.name!r} ({device.default_rate} Hz)")


def check_model(settings: Settings) -> Check:
    try:
        path = complete_model(settings, settings.language)
    except RitualError as e:
        return Check(False, "speech model", str(e))
    return Check(True, "speech model", f"{path} ({settings.language})")


def check_polish(settings: Settings, environ: Mapping[str, str]) -> Check:
    """The second listen is optional: without it the entries keep Vosk's text."""
    what = "second listen"
    problem = polish.whisper_problem()
    if problem:
        return Check(True, what, problem)
    model = polish.find_polish_model(settings, settings.language, environ)
    if model is None:
        return Check(True, what, f"no model hears {settings.language}; entries keep Vosk's text")
    if settings.audio.polish == "off" or voices.espeak_problem():
        off = " (polish: off)" if settings.audio.polish == "off" else ""
        return Check(True, what, f"{model.engine} from {model.source}{off}")
    with tempfile.TemporaryDirectory(prefix="ritual-doctor-") as tmp:
        try:
            found = polish.time_polisher(model, Path(tmp))
        except RitualError as e:
            return Check(False, what, f"{model.engine}: {e}")
    when = (
        "while the ritual goes on"
        if polish.polishes_in_background(settings)
        else "later (ritual polish)"
    )
    return Check(
        True,
        what,
        f"{model.engine} from {model.source} loads in {found.load_seconds:.1f} s and costs "
        f"{found.cpu_per_audio_second:.2f} CPU s per s of speech "
        f"({found.cpu_per_audio_second * 10:.1f} min for 10 min of answers); polishes {when}",
    )


def check_mic(settings: Settings) -> Check:
    import numpy as np

    try:
        sample = probes.sample_mic(
            settings.audio.input_device, MIC_SECONDS, settings.audio.mic_channel
        )
    except RitualError as e:
        return Check(False, "microphone", str(e))
    device = sample.device
    if not sample.audio:
        return Check(
            False,
            "microphone",
            f"{device.name!r} sent no audio; check it is connected and not in use, "
            "or pick another with --input-device (see `ritual devices`)",
        )
    samples = np.frombuffer(sample.audio, "<i2").astype(float)
    rms = math.sqrt(float((samples**2).mean()))
    level = f"{20 * math.log10(rms / 32768):.0f} dBFS" if rms > 0 else "silent"
    note = "; it heard nothing at all: is it muted?" if rms == 0 else ""
    return Check(
        True,
        "microphone",
        f"{device.index} {device.name!r} at {sample.rate} Hz{_channels(sample)}, "
        f"level {level}{note}",
    )


def _channels(sample: probes.MicSample) -> str:
    """Which channel of a stereo (or wider) mic is listened to, and each one's level."""
    if sample.channels == 1:
        return ""
    levels = ", ".join(f"{db:.0f}" for db in sample.levels)
    return (
        f", channel {sample.channel + 1} of {sample.channels} "
        f"(their levels: {levels} dBFS; mic_channel: in the config picks one)"
    )


ADVISABLE_DB = 25.0
"""echo taken out, at the least, for barge-in to be advised on these devices"""


def check_barge_in(settings: Settings) -> Check:
    """Play a prompt with the mic open, cancel its echo, say whether barge-in is wise."""
    setting = settings.barge_in
    missing = probes.aec_problem()
    if missing:
        return Check(setting is not BargeIn.ON, "barge-in", f"{setting}: {missing}")
    if setting is BargeIn.OFF:
        # Measuring plays a sound: only once the user has asked for barge-in.
        return Check(
            True,
            "barge-in",
            "off (with barge_in: on in the config, doctor measures this room's echo)",
        )
    with tempfile.TemporaryDirectory(prefix="ritual-doctor-") as tmp:
        try:
            echo = probes.measure_echo(settings, Path(tmp))
        except RitualError as e:
            return Check(False, "barge-in", f"{setting}: cannot measure the echo ({e})")
    return Check(True, "barge-in", f"{setting}: {_echo_verdict(echo)}")


def _echo_verdict(echo: probes.EchoCheck) -> str:
    if echo.clear < 0.3:
        return (
            "no echo of a prompt reached the mic (a headset?): barge_in: headset would "
            "do, with nothing to cancel"
        )
    heard = (
        f"echo {echo.delay_ms:g} ms late at {echo.echo_dbfs:g} dBFS, "
        f"{echo.left_db:g} dB less after cancellation"
    )
    if echo.left_db >= ADVISABLE_DB:
        return (
            f"{heard}: enough that ritual's own voice is not taken for a command. "
            "barge_in: on may be tried; a short command said over a loud prompt is "
            "still missed now and then (docs/barge-in.md)"
        )
    return f"{heard}: too little for barge_in: on here (keep it off)"


def check_service(environ: Mapping[str, str], settings: Optional[Settings] = None) -> Check:
    state = service.status(environ)
    if not state.installed:
        return Check(True, "service", "not installed (optional: `ritual service install`)")
    blocking = listen_readiness(settings, environ).blocking if settings else ()
    if blocking:
        return Check(False, "service", f"installed, but it cannot start: {'; '.join(blocking)}")
    if not state.healthy:
        return Check(
            False,
            "service",
            f"installed but {state.active}; see `ritual service status` for its log",
        )
    detail = f"{service.UNIT_NAME} {state.enabled}, {state.active}"
    if state.linger is False:
        detail += "; it runs only while you are logged in (`sudo loginctl enable-linger`)"
    return Check(True, "service", detail)


def check_journal(settings: Settings) -> Check:
    folder = settings.journal_dir
    if folder.is_dir():
        mode = stat.S_IMODE(folder.stat().st_mode)
        if not os.access(folder, os.W_OK | os.X_OK):
            return Check(
                False, "journal", f"{folder} is not writable; fix with: chmod u+rwx {folder}"
            )
        if mode & 0o077:
            return Check(
                False,
                "journal",
                f"{folder} can be read by others (mode {mode:04o}); fix with: chmod 700 {folder}",
            )
        return Check(True, "journal", f"{folder} (private, mode 0700)")
    if folder.exists():
        return Check(
            False, "journal", f"{folder} is a file, not a folder; move it or use --journal"
        )
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        return Check(
            False,
            "journal",
            f"{folder} cannot be created ({parent} is not writable); "
            "choose another with --journal or RITUAL_JOURNAL",
        )
    return Check(True, "journal", f"{folder} will be created on the first ritual (mode 0700)")


def check_encryption(settings: Settings) -> Check:
    """Off is fine; on, it must work here (a ritual would refuse to start) and the key
    that reads the journal should be where the config says (it is not needed to write)."""
    encryption = settings.encryption
    if not encryption.on:
        return Check(True, "encryption", "off (optional: `ritual key init`)")
    from assistant.core.errors import CryptError
    from assistant.journal.access import sealer_for

    try:
        sealer_for(settings)
    except CryptError as e:
        return Check(False, "encryption", str(e))
    where = encryption.identity
    key = (
        f"the key that reads it: {where}"
        if where is not None and where.exists()
        else f"the key that reads it is not on this machine ({where}): writing needs none"
    )
    return Check(True, "encryption", f"on, to {len(encryption.recipients)} key(s); {key}")
