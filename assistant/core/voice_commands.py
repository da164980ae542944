"""Voice commands: which phrases mean what, and whether an utterance is one.

An utterance is a command only when the *whole* utterance is a command phrase:
"stop" is a command, "I want to stop worrying" is an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Optional

from assistant.core.language import for_language
from assistant.core.vocabulary import Vocabulary


class Command(Vocabulary):
    REPEAT = "repeat"
    SKIP = "skip"
    """``next`` is one of its phrases"""
    BACK = "back"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    DONE = "done"
    KEEP = "keep"
    REDO = "redo"
    ADD = "add"
    BEGIN = "begin"
    """yes to an offered ritual"""
    LATER = "later"
    """ask again in a while"""
    NOT_TODAY = "not_today"


OFFER_REPLIES = (Command.BEGIN, Command.LATER, Command.NOT_TODAY)
"""what can be said when ritual offers a ritual at its scheduled time"""

CommandSet = Mapping[Command, tuple[str, ...]]
"""command -> phrases that say it"""

COMMAND_NAMES = tuple(c.value for c in Command if c not in OFFER_REPLIES)
"""every command a ritual's ``commands`` may name"""

DEFAULT_COMMANDS: dict[str, dict[Command, tuple[str, ...]]] = {
    "en": {
        Command.REPEAT: ("repeat", "say that again", "again please", "repeat that"),
        Command.SKIP: ("skip", "next", "skip this", "next question", "pass"),
        Command.BACK: ("go back", "back", "previous question"),
        Command.PAUSE: ("pause", "wait", "hold on"),
        Command.RESUME: ("resume", "continue", "go on", "i'm ready", "im ready"),
        Command.STOP: ("stop", "end the ritual", "stop the ritual", "quit"),
        Command.DONE: ("done", "that's all", "thats all", "i'm done", "im done", "finished"),
        Command.KEEP: ("keep", "keep it", "yes", "that's right", "thats right"),
        Command.REDO: ("redo", "no", "try again", "start over"),
        Command.ADD: ("add", "add more", "add something"),
        Command.BEGIN: ("yes", "yes please", "sure", "okay", "ok", "let's begin", "let's go"),
        Command.LATER: ("later", "not now", "in a bit", "snooze", "ask me later"),
        Command.NOT_TODAY: ("no", "no thanks", "not today", "skip today"),
    },
    "ko": {
        Command.REPEAT: ("반복", "다시"),
        Command.SKIP: ("다음", "건너뛰기"),
        Command.BACK: ("이전", "뒤로"),
        Command.PAUSE: ("잠깐", "일시정지"),
        Command.RESUME: ("계속",),
        Command.STOP: ("중지", "그만"),
        Command.DONE: ("끝", "완료"),
        Command.KEEP: ("네", "좋아요"),
        Command.REDO: ("아니요", "다시 하기"),
        Command.ADD: ("추가",),
        # espeak-ng's 잠시 is heard reliably in grammar mode; 나중에 often is not.
        Command.BEGIN: ("네", "좋아요", "시작"),
        Command.LATER: ("잠시", "나중에", "미루기"),
        Command.NOT_TODAY: ("아니요",),
    },
}

_PUNCTUATION = re.compile(r"[^\w\s']+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, punctuation away (apostrophes kept), single spaces."""
    text = _PUNCTUATION.sub(" ", text.lower().replace("’", "'"))
    return _SPACES.sub(" ", text).strip()


def commands_for(
    language: str, overrides: Optional[CommandSet] = None
) -> dict[Command, tuple[str, ...]]:
    """The language's default command words, with a ritual's ``commands`` replacing them.

    A language we have no words for gets English.
    """
    merged = dict(for_language(DEFAULT_COMMANDS, language) or DEFAULT_COMMANDS["en"])
    for command, phrases in (overrides or {}).items():
        merged[command] = tuple(phrases)
    return merged


def only(commands: CommandSet, wanted: Iterable[Command]) -> dict[Command, tuple[str, ...]]:
    """The subset of ``commands`` that makes sense at this moment."""
    keep = set(wanted)
    return {command: phrases for command, phrases in commands.items() if command in keep}


def match_command(text: str, commands: CommandSet) -> Optional[Command]:
    """The command that ``text`` wholly is, or None when it is an answer."""
    said = normalize(text)
    if not said:
        return None
    for command, phrases in commands.items():
        if any(said == normalize(p) for p in phrases):
            return command
    return None
