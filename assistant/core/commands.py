"""Voice commands: which phrases mean what, and whether an utterance is one.

An utterance is a command only when the *whole* utterance is a command phrase:
"stop" is a command, "I want to stop worrying" is an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Optional

CommandSet = Mapping[str, tuple[str, ...]]
"""command name -> phrases that say it"""

COMMAND_NAMES = ("repeat", "skip", "back", "pause", "resume", "stop", "done", "keep", "redo", "add")
"""every command a ritual's ``commands`` may name; ``next`` is a phrase of skip"""

DEFAULT_COMMANDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "repeat": ("repeat", "say that again", "again please", "repeat that"),
        "skip": ("skip", "next", "skip this", "next question", "pass"),
        "back": ("go back", "back", "previous question"),
        "pause": ("pause", "wait", "hold on"),
        "resume": ("resume", "continue", "go on", "i'm ready", "im ready"),
        "stop": ("stop", "end the ritual", "stop the ritual", "quit"),
        "done": ("done", "that's all", "thats all", "i'm done", "im done", "finished"),
        "keep": ("keep", "keep it", "yes", "that's right", "thats right"),
        "redo": ("redo", "no", "try again", "start over"),
        "add": ("add", "add more", "add something"),
    },
    "ko": {
        "repeat": ("반복", "다시"),
        "skip": ("다음", "건너뛰기"),
        "back": ("이전", "뒤로"),
        "pause": ("잠깐", "일시정지"),
        "resume": ("계속",),
        "stop": ("중지", "그만"),
        "done": ("끝", "완료"),
        "keep": ("네", "좋아요"),
        "redo": ("아니요", "다시 하기"),
        "add": ("추가",),
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
) -> dict[str, tuple[str, ...]]:
    """The language's default command words, with a ritual's ``commands`` replacing them.

    ``en-us`` falls back to ``en``; a language we have no words for gets English.
    """
    base = language.lower()
    words = DEFAULT_COMMANDS.get(base) or DEFAULT_COMMANDS.get(base.split("-")[0])
    merged = dict(words or DEFAULT_COMMANDS["en"])
    for name, phrases in (overrides or {}).items():
        merged[name] = tuple(phrases)
    return merged


def only(commands: CommandSet, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The subset of ``commands`` that makes sense at this moment."""
    wanted = set(names)
    return {name: phrases for name, phrases in commands.items() if name in wanted}


def match_command(text: str, commands: CommandSet) -> Optional[str]:
    """The command that ``text`` wholly is, or None when it is an answer."""
    said = normalize(text)
    if not said:
        return None
    for name, phrases in commands.items():
        if any(said == normalize(p) for p in phrases):
            return name
    return None
