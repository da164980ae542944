"""Words that carry no subject of their own, left out of the week's most used words.

Lists, not a model: the small words of any sentence (articles, pronouns,
particles standing alone, "really", "today") and the words every check-in
answer has ("feel", "morning"). Korean verbs and adjectives are left out by
their endings (``core.week``), so only other words are listed here.
"""

from __future__ import annotations

EN_STOP_WORDS = """
a about above after again against all almost also am an and any are aren't as at be
because been before being below between both but by can can't cannot could couldn't did
didn't do does doesn't doing don't down during each even ever every few for from further
get gets getting got had hadn't has hasn't have haven't having he her here hers herself
him himself his how i i'd i'll i'm i've if in into is isn't it it's its itself just kind
know let's like little lot make made maybe me more most much must my myself no nor not
now of off oh ok okay on once one only or other ought our ours ourselves out over own
quite rather really right said same say says she should shouldn't so some something
still such than that that's the their theirs them themselves then there there's these
they they're thing things think this those though through to today tomorrow too under
until up upon us very was wasn't way we we're well went were weren't what what's when
where which while who whom why will with won't would wouldn't yeah yes yesterday yet you
you're your yours yourself week day days morning evening night time feel felt feeling
bit going want wanted
"""

KO_STOP_WORDS = """
나 나는 난 내 내가 저 저는 전 제 제가 우리 우리는 너 그 이 저것 이것 그것 것 거 게 수 때 좀
더 잘 안 못 또 그냥 정말 진짜 너무 아주 많이 조금 오늘 어제 내일 이번 주 지금 그리고
그래서 하지만 그런데 근데 그러나 및 등 또는 아니 네 예 응 뭐 무엇 어떤 어떻게 왜 같아요
같은 있어요 없어요 했어요 해요 하고 하는 한 할 하면 하루 오늘은 기분 아침 저녁 밤 매일
항상 요즘
"""
