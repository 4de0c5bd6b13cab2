"""The generated customers of one contact-centre day (deterministic for a seed).

Every customer has personal data of their own (a full name, a phone, an e-mail, an order number,
a promo code) so that the checks can tell one customer's data from another's, a language
(ru, uk, ro, en), a channel (Telegram or e-mail) and a script: what they will do today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

LANGUAGES = ("ru", "uk", "ro", "en")


class Script(StrEnum):
    FAQ_HELPED = "faq_helped"  # asks the FAQ, taps Helped
    FAQ_SILENT = "faq_silent"  # asks the FAQ, says nothing more
    HUMAN_TEXT = "human_text"  # complains with their order and phone, then asks for a person
    HUMAN_BUTTON = "human_button"  # asks the FAQ, then taps "Talk to a person"
    EMAIL = "email"  # writes an e-mail, which an operator records


NAMES = {
    "ru": (
        ("Иван", "Анна", "Дмитрий", "Ольга", "Сергей", "Мария", "Павел", "Елена", "Олег"),
        ("Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков"),
    ),
    "uk": (
        ("Олена", "Тарас", "Богдан", "Оксана", "Андрій", "Ірина", "Микола", "Наталія"),
        ("Шевченко", "Бондаренко", "Коваленко", "Ткаченко", "Кравченко", "Мельник", "Лисенко"),
    ),
    "ro": (
        ("Ion", "Maria", "Andrei", "Elena", "Mihai", "Ana", "Vasile", "Cristina", "Dorin"),
        ("Popescu", "Rusu", "Ciobanu", "Munteanu", "Cojocaru", "Lungu", "Ceban", "Botnaru"),
    ),
    "en": (
        ("James", "Emily", "Oliver", "Sophie", "Harry", "Grace", "Jack", "Chloe", "Thomas"),
        ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes"),
    ),
}
PHONE_PREFIX = {"ru": ("+7916", 3), "uk": ("+38050", 3), "ro": ("+37369", 2), "en": ("+447700", 2)}
"""The country and mobile prefix, and how many random digits come before the four of the index."""
FAQ = {
    "ru": ("Сколько идёт доставка?", "Можно оплатить картой?", "Как вернуть товар?"),
    "uk": ("Скільки триває доставка?", "Чи можна оплатити карткою?", "Як повернути товар?"),
    "ro": ("Cum pot returna un produs?", "Pot plăti cu cardul?"),
    "en": ("How long does delivery take?", "Can I pay by card?", "How do I cancel my order?"),
}
HANDOVER = {
    "ru": ("дайте менеджера", "позовите оператора, пожалуйста"),
    "uk": ("хочу поговорити з оператором", "з'єднайте з оператором будь ласка"),
    "ro": ("vreau să vorbesc cu un operator",),
    "en": ("I want to talk to a human", "let me speak to a manager"),
}
COMPLAINT = {
    "ru": "В заказе {order} не хватает товара, промокод {promo} не сработал. Мой телефон {phone}.",
    "uk": "У замовленні {order} бракує товару, промокод {promo} не спрацював. Телефон {phone}.",
    "ro": "Din comanda {order} lipsește un produs, codul {promo} nu a mers. Telefon {phone}.",
    "en": "An item is missing from order {order} and code {promo} failed. My phone is {phone}.",
}
EMAIL = {
    "ru": "Здравствуйте! Заказ {order} пришёл неполным. {name}, {phone}",
    "uk": "Добрий день! Замовлення {order} прийшло неповним. {name}, {phone}",
    "ro": "Bună ziua! Comanda {order} a venit incompletă. {name}, {phone}",
    "en": "Hello, order {order} arrived incomplete. {name}, {phone}",
}
PULSE_COMMENT = {
    "ru": "Долго ждал ответа по заказу {order}",
    "uk": "Довго чекав відповіді щодо замовлення {order}",
    "ro": "Am așteptat mult pentru comanda {order}",
    "en": "Waited too long about order {order}",
}


@dataclass
class PulsePlan:
    """How the customer answers their first pulse: scores, and a comment or Skip."""

    csat: int
    ces: int
    comment: bool


@dataclass
class Person:
    index: int
    language: str
    first_name: str
    last_name: str
    phone: str
    email: str
    order: str
    promo: str
    script: Script
    known: bool  # the company knows them by phone and e-mail already (an earlier call)
    telegram_id: int | None
    faq: str
    handover: str
    affected_amount: float | None  # an operator offers compensation for this much
    promise: bool
    pulse: PulsePlan | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def channel(self) -> str:
        return "email" if self.script == Script.EMAIL else "telegram"

    @property
    def personal_data(self) -> tuple[str, ...]:
        """What must never reach anyone else (the phone also as its bare digits)."""
        return (self.name, self.phone, self.phone.lstrip("+"), self.email, self.order, self.promo)

    def complaint(self) -> str:
        return COMPLAINT[self.language].format(order=self.order, promo=self.promo, phone=self.phone)

    def email_text(self) -> str:
        return EMAIL[self.language].format(order=self.order, name=self.name, phone=self.phone)

    def pulse_comment(self) -> str:
        return PULSE_COMMENT[self.language].format(order=self.order)


SCRIPTS = (
    (Script.FAQ_HELPED, 0.36),
    (Script.FAQ_SILENT, 0.12),
    (Script.HUMAN_TEXT, 0.22),
    (Script.HUMAN_BUTTON, 0.12),
    (Script.EMAIL, 0.18),
)


def generate(count: int, *, seed: int = 7) -> list[Person]:
    """``count`` customers; the same seed gives the same people doing the same things."""
    rng = random.Random(seed)
    people: list[Person] = []
    names: set[str] = set()
    for index in range(count):
        lang = LANGUAGES[index % len(LANGUAGES)]
        first, last = _unique_name(rng, lang, names, index)
        script = rng.choices([s for s, _ in SCRIPTS], weights=[w for _, w in SCRIPTS])[0]
        human = script in (Script.HUMAN_TEXT, Script.HUMAN_BUTTON, Script.EMAIL)
        known = rng.random() < 0.35
        people.append(
            Person(
                index=index,
                language=lang,
                first_name=first,
                last_name=last,
                phone=_phone(rng, lang, index),
                email=f"c{index:05d}.{rng.randrange(16**6):06x}@mail.example",
                order=f"ORD-{index:05d}{rng.randrange(100):02d}",
                promo=f"SAVE{rng.randrange(16**5):05X}{index:04d}",
                script=script,
                known=known,
                telegram_id=None if script == Script.EMAIL else 700_000_000 + index,
                faq=rng.choice(FAQ[lang]),
                handover=rng.choice(HANDOVER[lang]),
                affected_amount=_amount(rng) if human and not known else None,
                promise=human and rng.random() < 0.3,
                pulse=_pulse(rng),
            )
        )
    return people


def _unique_name(rng: random.Random, lang: str, taken: set[str], index: int) -> tuple[str, str]:
    firsts, lasts = NAMES[lang]
    for _ in range(20):
        first, last = rng.choice(firsts), rng.choice(lasts)
        if f"{first} {last}" not in taken:
            taken.add(f"{first} {last}")
            return first, last
    return rng.choice(firsts), f"{rng.choice(lasts)}-{index}"  # more people than name pairs


def _phone(rng: random.Random, lang: str, index: int) -> str:
    prefix, digits = PHONE_PREFIX[lang]
    return f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}{index % 10_000:04d}"


def _amount(rng: random.Random) -> float | None:
    if rng.random() < 0.5:
        return None
    return float(rng.choice((200, 400, 900, 1500, 2400, 3600, 5200)))


def _pulse(rng: random.Random) -> PulsePlan | None:
    """60% answer; one in five of those unhappy (a low CSAT or CES)."""
    if rng.random() >= 0.6:
        return None
    if rng.random() < 0.2:
        return PulsePlan(csat=rng.choice((1, 2)), ces=rng.randint(1, 4), comment=rng.random() < 0.5)
    return PulsePlan(csat=rng.choice((4, 5)), ces=rng.randint(5, 7), comment=False)
