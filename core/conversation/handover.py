"""Messages that go to a person at once, whatever the knowledge base would answer: a request
for a person, a threat of legal action or a complaint to a regulator, harm to someone's health
or safety, an angry demand, and an angry sticker or emoji. Phrases in ru, uk, ro and en, plus
Russian and Ukrainian typed in Latin letters.

Each rule pairs a verb of asking with a person ("позовите оператора", "vreau să vorbesc cu un
om") or names something no FAQ settles ("иду в суд", "ми в лікарні"); a bare person word
("оператор", "human please") counts only in a short message, so a question about switching
mobile operators stays a question. The rules were written on the messages of
``shared/eval/support_faq`` labelled ``oos_human``; ``tests/core/test_handover.py`` keeps them
from firing on any in-scope message there.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Handover(StrEnum):
    PERSON = "asked_for_person"
    LEGAL = "legal_threat"
    HARM = "harm"
    ANGRY = "angry"


_PERSON = (
    r"оператор\w*|менеджер\w*|сотрудник\w*|співробітник\w*|специалист\w*|спеціаліст\w*|"
    r"руководител\w*|руководств(?:ом|у)\b|керівник\w*|керівництв\w*|начальств\w*|консультант\w*|"
    r"жив\w+ (?:человек|людин)\w*|"
    r"operator\w*|manager\w*|\bun om\b|omul\b|supervizor\w*|"
    r"human|agent|representative|supervisor|real person|someone (?:real|responsible)|"
    r"menedzher\w*|zhiv\w+ chelovek\w*"
)
"""Who a customer asks for: a person word that means staff, not just "people"."""
_ANYONE = (
    r"человек\w*|людин\w*|люд\w*|person\w*|persoan\w*|cineva|someone|somneone|somebody|"
    r"assistant|chelovek\w*"
)
_ASK = (
    r"дайте|дай\b|позовите|позвать|позови|соедините|соедини|переключите|свяжите|"
    r"поговорить|поговорити|говорить|покличте|з.єднайте|з.єднати|зв.яжіть|"
    r"vorbesc|vorbi|sune|suna|legați|legati|conectați|conectati|transferați|transferati|"
    r"talk\w*|speak\w*|contact\w*|chat\w*|reach|connect\w*|transfer|put me through|escalate|"
    r"связаться|связь|зв.язатися|contacta\w*|"
    r"dajte|daite|dayte|pozovite|soedinite|pogovorit\w*"
)
"""Verbs that ask to be put through: with any person word."""
_WANT = (
    r"хочу|нужен|нужна|нужно|можно|давайте|потрібен|потрібна|розібратися|"
    r"vreau|dați|dati|puteți|puteti|want|need|get me|give me|hochu|nuzhen"
)
"""Verbs that want something: only with a staff word."""
_RULES: tuple[tuple[Handover, re.Pattern[str]], ...] = (
    (
        Handover.PERSON,
        re.compile(rf"\b(?:{_ASK})\b[^.?!]{{0,40}}?(?:{_PERSON}|{_ANYONE})", re.IGNORECASE),
    ),
    (
        Handover.PERSON,
        re.compile(rf"\b(?:{_WANT})\b[^.?!]{{0,40}}?(?:{_PERSON})", re.IGNORECASE),
    ),
    (
        Handover.PERSON,
        re.compile(
            r"с (?:живым )?(?:человеком|оператором|менеджером)|з (?:живою )?(?:людиною|"
            r"оператором|менеджером)|cu un (?:om|operator|manager)|nu cu robotul|"
            r"не (?:с|з) бот\w*|а не бот\w*|a ne robot\w*|not (?:a|the|with a) bot",
            re.IGNORECASE,
        ),
    ),
    (
        Handover.LEGAL,
        re.compile(
            r"\bсуд\b|в суд\b|до суду|юрист\w*|адвокат\w*|прокуратур\w*|"
            r"(?:иду|пойду|обращусь|заявлю|напишу) в полици\w*|"
            r"(?:піду|звернусь|звернуся) до поліці\w*|"
            r"роспотребнадзор\w*|держпродспоживслужб\w*|anrceti|anpc|жалоб\w* в|скарг\w* (?:в|до)|"
            r"judecat\w*|avocat\w*|la poliți\w*|la politi\w*|procuratur\w*|"
            r"\bsue (?:you|your)|(?:will|going to|i'?ll) sue\b|lawyer|\bcourt\b|attorney|"
            r"legal action|(?:go(?:ing)? to|call) the police|"
            r"\bsud\b|yurist\w*",
            re.IGNORECASE,
        ),
    ),
    (
        Handover.HARM,
        re.compile(
            r"в больниц\w*|в лікарн\w*|скорую|швидку|отравил\w*|отравлени\w*|отруї\w*|"
            r"\bстекл(?:о|а|ом)\b|осколк\w*|\bскло\b|шматок скла|отёк|\bотек\b|набряк\w*|"
            r"порезал\w*|порізал\w*|"
            r"рвало|нахамил\w*|угрожал\w*|погрожував\w*|"
            r"otrăv\w*|otrav\w*|sticlă|amenința\w*|amenint\w*|"
            r"(?:in|to) (?:the )?hospital|poisoned|food poisoning|injur\w*|threatened|"
            r"кто (?:заплатит|будет платить|ответит)|хто (?:платитиме|заплатить|відповідатиме)|"
            r"who (?:will pay|is going to pay|is responsible for this)",
            re.IGNORECASE,
        ),
    ),
    (
        Handover.ANGRY,
        re.compile(
            r"(?:требую|вимагаю)[^.?!]{0,40}?(?:компенсац|компенсаці|замен|замін|деньги|гроші|"
            r"возврат|поверн|вернуть|руковод|керівник|менеджер|немедленно|негайно|звʼяза|зв'яза)|"
            r"безобрази\w*|возмутительн\w*|отвратительн\w*|обурлив\w*|"
            r"ганьба|позор\w*|издевательств\w*|знущання|bătaie de joc|batai?e de joc|rușine|rusine|"
            r"inadmisibil\w*|disgusting|"
            r"(?:третий|третій|четвертый|четвертий) раз (?:пишу|обращаюсь|звоню|звертаюсь)|"
            r"пишу (?:уже )?(?:третий|третій) раз|a treia oar[ăa] (?:scriu|sun|vine)|"
            r"(?:third|fourth) time (?:i'?m |i am )?(?:writing|calling|contacting)|"
            r"хочу (?:компенсаци|компенсаці)\w*|vreau (?:compensați|compensati|banii)\w*",
            re.IGNORECASE,
        ),
    ),
)
_BARE_PERSON = re.compile(
    r"^\W*(?:оператор\w*|менеджер\w*|человек\w*|людин\w*|operator\w*|manager|human|agent|"
    r"person|om)\W*(?:please|pls|пожалуйста|будь ласка|vă rog|va rog)?\W*$",
    re.IGNORECASE,
)
_OTHER = re.compile(
    r"друг\w* оператор|інш\w* оператор|alt operator|altui operator|another (?:operator|provider)|"
    r"other operator|new operator",
    re.IGNORECASE,
)
"""Switching mobile operators is a question, not a request for a person."""
ANGRY_EMOJI = frozenset("😡🤬👿💢😠🖕😤")


def handover(text: str, *, emoji: str | None = None) -> Handover | None:
    """Why this message must go to a person at once, or None when the bot may answer it.

    ``emoji`` is the emoji of a sticker, when the message is one.
    """
    if emoji and any(ch in ANGRY_EMOJI for ch in emoji):
        return Handover.ANGRY
    stripped = text.strip()
    if not stripped:
        return None
    if stripped and all(ch in ANGRY_EMOJI or not ch.isalnum() for ch in stripped):
        return Handover.ANGRY if any(ch in ANGRY_EMOJI for ch in stripped) else None
    if _BARE_PERSON.match(stripped):
        return Handover.PERSON
    for kind, pattern in _RULES:
        found = pattern.search(stripped)
        if found and not (kind is Handover.PERSON and _OTHER.search(found.group())):
            return kind
    return None
