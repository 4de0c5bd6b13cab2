"""Reply drafts without an LLM: a greeting, the extracted answer, the compensation, a sign-off,
in the customer's language (ru, uk, en; anything else falls back to en)."""

from __future__ import annotations

import re

from core.compensation.policy import Offer

TEMPLATES: dict[str, dict[str, str]] = {
    "ru": {
        "hello": "Здравствуйте",
        "sorry": "Приносим извинения за неудобства.",
        "none": "Мы разбираемся с вашим вопросом и скоро вернёмся с ответом.",
        "offer": "В качестве компенсации мы дарим вам {items}.",
        "promo_code": "промокод на {amount:g} ₽",
        "refund": "возврат {amount:g} ₽",
        "free_delivery": "бесплатную доставку следующего заказа",
        "loyalty_points": "{amount:g} бонусных баллов",
        "and": " и ",
        "bye": "Хорошего дня!",
    },
    "uk": {
        "hello": "Вітаємо",
        "sorry": "Перепрошуємо за незручності.",
        "none": "Ми розбираємося з вашим питанням і скоро повернемося з відповіддю.",
        "offer": "Як компенсацію ми даруємо вам {items}.",
        "promo_code": "промокод на {amount:g} ₽",
        "refund": "повернення {amount:g} ₽",
        "free_delivery": "безкоштовну доставку наступного замовлення",
        "loyalty_points": "{amount:g} бонусних балів",
        "and": " і ",
        "bye": "Гарного дня!",
    },
    "en": {
        "hello": "Hello",
        "sorry": "We are sorry for the trouble.",
        "none": "We are looking into your request and will get back to you shortly.",
        "offer": "To make up for it, we are giving you {items}.",
        "promo_code": "a promo code for {amount:g} RUB",
        "refund": "a refund of {amount:g} RUB",
        "free_delivery": "free delivery on your next order",
        "loyalty_points": "{amount:g} loyalty points",
        "and": " and ",
        "bye": "Have a nice day!",
    },
}


def detect_language(text: str) -> str:
    if re.search(r"[іїєґІЇЄҐ]", text):
        return "uk"
    if re.search(r"[а-яА-ЯёЁ]", text):
        return "ru"
    return "en"


def render_draft(*, language: str, name: str | None, body: str | None, offer: Offer | None) -> str:
    t = TEMPLATES.get(language, TEMPLATES["en"])
    lines = [f"{t['hello']}, {name}!" if name else f"{t['hello']}!"]
    if offer is not None and offer.items:
        lines.append(t["sorry"])
    lines.append(body.strip() if body and body.strip() else t["none"])
    if offer is not None and offer.items:
        items = t["and"].join(t[i.type].format(amount=i.amount) for i in offer.items)
        lines.append(t["offer"].format(items=items))
    lines.append(t["bye"])
    return "\n".join(lines)
