"""What the conductor itself says, per language (the rituals say the rest)."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.core.language import for_language

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "breathe_in": "Breathe in.",
        "hold": "Hold.",
        "breathe_out": "And breathe out.",
        "again": "Take your time. {prompt}",
        "heard": "I heard: {answer}. Say keep, redo, or add.",
        "heard_again": "Say keep to save it, redo to answer again, or add to say more.",
        "add": "Go on, I'm listening.",
        "paused": "Paused. Say resume when you're ready.",
        "first": "This is the first question.",
        "stopping": "Stopping here. What you said is saved.",
    },
    "ko": {
        "breathe_in": "숨을 들이쉬세요.",
        "hold": "멈추세요.",
        "breathe_out": "내쉬세요.",
        "again": "천천히 하세요. {prompt}",
        "heard": "이렇게 들었어요: {answer}. 네, 아니요, 또는 추가라고 말해 주세요.",
        "heard_again": "저장하려면 네, 다시 하려면 아니요라고 말해 주세요.",
        "add": "계속 말씀하세요.",
        "paused": "잠시 멈췄어요. 준비되면 계속이라고 말해 주세요.",
        "first": "첫 번째 질문이에요.",
        "stopping": "여기서 마칠게요. 말씀하신 내용은 저장했어요.",
    },
}


def phrases_for(language: str) -> Mapping[str, str]:
    return for_language(PHRASES, language) or PHRASES["en"]
