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
        "stopping_empty": "Stopping here. Nothing was answered, so nothing is kept.",
        "offer": "It's time for your {title}. Would you like to begin? Say yes, later, or no.",
        "offer_again": "Your {title} is still here for you. Shall we begin? Yes, later, or no.",
        "offer_unclear": "Sorry, I didn't catch that. Say yes, later, or no.",
        "snoozed": "All right. I'll ask again in {minutes} minutes.",
        "not_today": "All right, not today.",
        "number_again": "I didn't catch one number there. Just a number from {low} to {high}.",
        "number_heard": "{number} out of {high}. Thank you.",
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
        "stopping_empty": "여기서 마칠게요. 답하신 것이 없어서 남기지 않았어요.",
        "offer": "{title} 시간이에요. 시작할까요? 네, 잠시, 아니요 중에서 말씀해 주세요.",
        "offer_again": "{title} 아직 기다리고 있어요. 시작할까요? 네, 잠시, 아니요.",
        "offer_unclear": "잘 못 들었어요. 네, 잠시, 아니요 중에서 말씀해 주세요.",
        "snoozed": "알겠어요. {minutes}분 뒤에 다시 여쭤볼게요.",
        "not_today": "알겠어요, 오늘은 쉬어요.",
        "number_again": "숫자를 하나만 말씀해 주세요. {low}부터 {high}까지요.",
        "number_heard": "{high}점 중에 {number}점이군요. 고마워요.",
    },
}


TYPED: dict[str, dict[str, str]] = {
    "en": {
        "heard": "You wrote: {answer}. Type keep, redo, or add.",
        "heard_again": "Type keep to save it, redo to answer again, or add to write more.",
        "add": "Go on, I'm reading.",
        "paused": "Paused. Type resume when you're ready.",
        "number_again": "Just a number from {low} to {high}, please.",
    },
    "ko": {
        "heard": "이렇게 적으셨어요: {answer}. 네, 아니요, 또는 추가라고 입력해 주세요.",
        "heard_again": "저장하려면 네, 다시 하려면 아니요라고 입력해 주세요.",
        "add": "계속 적어 주세요.",
        "paused": "잠시 멈췄어요. 준비되면 계속이라고 입력해 주세요.",
        "number_again": "숫자를 하나만 입력해 주세요. {low}부터 {high}까지요.",
    },
}
"""what changes when the answers are typed: nobody is asked to say anything"""


def phrases_for(language: str, *, typed: bool = False) -> Mapping[str, str]:
    spoken = for_language(PHRASES, language) or PHRASES["en"]
    if not typed:
        return spoken
    return {**spoken, **(for_language(TYPED, language) or TYPED["en"])}
