"""Everything the bot says, in Russian, Ukrainian, Romanian and English."""

from __future__ import annotations

from core.conversation.replies import OrderStatus, Reply, ReplyKind

LANGUAGES = ("ru", "uk", "ro", "en")
DEFAULT = "en"
LANGUAGE_NAMES = {"ru": "Русский", "uk": "Українська", "ro": "Română", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "greet_new": "Hello{name}! I am the support assistant. Ask your question in a message and "
        "I will answer from our help articles, or pass you to a person.",
        "greet_back": "Welcome back, {name}! How can I help?",
        "greet_order": "I see this is about order {order}.",
        "help": "Write your question in your own words. Commands: /human - talk to a person, "
        "/language - change language. If a problem we solved comes back, write "
        '"still not fixed".',
        "source": "Source",
        "answer_language": "This answer is only available in {name}:",
        "clarify": "Which of these do you mean? Tap one:",
        "sorry": "I am sorry this happened.",
        "escalated": "I can't solve this myself, so I have passed your case #{case} to a person. "
        "An operator will reply here. You are number {position} in the queue; expected wait is "
        "about {wait} min. I will not reply to this case in the meantime.",
        "escalated_assigned": "Your case #{case} is with an operator, who will reply here.",
        "reopened": "I have reopened your case #{case} and passed it to an operator. You are "
        "number {position} in the queue; expected wait is about {wait} min.",
        "already_queued": "Your case #{case} is already with our team: number {position} in the "
        "queue, about {wait} min. An operator will reply here.",
        "order_status": "Your order {number}: {status}.",
        "order_promised": "Promised delivery: {date}.",
        "order_delivered": "Delivered: {date}.",
        "contact_linked": "Thank you, I have saved your phone number.",
        "helped": "Glad it helped!",
        "unsupported_sticker": "Nice sticker! I understand text best: please describe your "
        'question in words, or tap "Talk to a person".',
        "unsupported_file": "Thank you, I have saved your {what} on your case, so an operator "
        "can see it. I can't read files myself: please describe the question in words, or tap "
        '"Talk to a person".',
        "unsupported_edited": "I reply to new messages only: please send the corrected question "
        "as a new message.",
        "unsupported_too_long": "Thank you, I have saved your whole message. Please write the "
        'main question in a sentence or two, or tap "Talk to a person": an operator will read '
        "all of it.",
        "unsupported_emoji_only": "I understand words better than emoji: what is your question?",
        "unsupported_empty": "I did not receive any text: what is your question?",
        "small_talk_greeting": "Hello! What is your question? Describe it in your own words.",
        "small_talk_thanks": "You are welcome! Anything else I can help with?",
        "btn_helped": "Helped",
        "btn_human": "Talk to a person",
        "btn_reopen": "Still not fixed",
        "choose_language": "Choose your language:",
        "language_set": "Done, I will write in English.",
        "stale_button": "This button is no longer active.",
        "pulse_closed": "This survey has closed. Thank you all the same!",
        "error": "Sorry, something went wrong on our side. Your message is saved; please try "
        "again in a minute or type /human.",
        "what_photo": "photo",
        "what_voice": "voice message",
        "what_document": "document",
        "what_media": "file",
    },
    "ru": {
        "greet_new": "Здравствуйте{name}! Я помощник службы поддержки. Напишите вопрос, и я "
        "отвечу по нашим статьям или передам вас сотруднику.",
        "greet_back": "С возвращением, {name}! Чем помочь?",
        "greet_order": "Вижу, вопрос о заказе {order}.",
        "help": "Напишите вопрос своими словами. Команды: /human - связаться с сотрудником, "
        "/language - сменить язык. Если решённая проблема вернулась, напишите «всё ещё не "
        "решено».",
        "source": "Источник",
        "answer_language": "Этот ответ у нас есть только на языке: {name}.",
        "clarify": "Что именно вы имеете в виду? Выберите:",
        "sorry": "Мне очень жаль, что так вышло.",
        "escalated": "Сам я это не решу, поэтому передал ваше обращение #{case} сотруднику. "
        "Оператор ответит здесь. Вы {position}-й в очереди, ожидание около {wait} мин. Пока "
        "обращение у сотрудника, я в нём не отвечаю.",
        "escalated_assigned": "Ваше обращение #{case} у оператора, он ответит здесь.",
        "reopened": "Я снова открыл обращение #{case} и передал его оператору. Вы {position}-й "
        "в очереди, ожидание около {wait} мин.",
        "already_queued": "Обращение #{case} уже у нашей команды: вы {position}-й в очереди, "
        "около {wait} мин. Оператор ответит здесь.",
        "order_status": "Ваш заказ {number}: {status}.",
        "order_promised": "Обещанная дата доставки: {date}.",
        "order_delivered": "Доставлен: {date}.",
        "contact_linked": "Спасибо, я сохранил ваш номер телефона.",
        "helped": "Рад, что помог!",
        "unsupported_sticker": "Отличный стикер! Но я лучше понимаю текст: опишите вопрос "
        "словами или нажмите «Связаться с человеком».",
        "unsupported_file": "Спасибо, я сохранил {what} в обращении, оператор его увидит. Сам я "
        "файлы не читаю: опишите вопрос словами или нажмите «Связаться с человеком».",
        "unsupported_edited": "Я отвечаю только на новые сообщения: отправьте исправленный "
        "вопрос новым сообщением.",
        "unsupported_too_long": "Спасибо, я сохранил всё сообщение. Напишите главный вопрос в "
        "одном-двух предложениях или нажмите «Связаться с человеком»: оператор прочитает всё.",
        "unsupported_emoji_only": "Слова я понимаю лучше, чем эмодзи: какой у вас вопрос?",
        "unsupported_empty": "Я не получил текста: какой у вас вопрос?",
        "small_talk_greeting": "Здравствуйте! Какой у вас вопрос? Опишите его своими словами.",
        "small_talk_thanks": "Пожалуйста! Могу ещё чем-то помочь?",
        "btn_helped": "Помогло",
        "btn_human": "Связаться с человеком",
        "btn_reopen": "Всё ещё не решено",
        "choose_language": "Выберите язык:",
        "language_set": "Готово, пишу по-русски.",
        "stale_button": "Эта кнопка больше не активна.",
        "pulse_closed": "Этот опрос уже закрыт. Всё равно спасибо!",
        "error": "Извините, у нас что-то пошло не так. Ваше сообщение сохранено; попробуйте "
        "через минуту или наберите /human.",
        "what_photo": "фото",
        "what_voice": "голосовое сообщение",
        "what_document": "документ",
        "what_media": "файл",
    },
    "uk": {
        "greet_new": "Вітаю{name}! Я помічник служби підтримки. Напишіть питання, і я відповім "
        "за нашими статтями або передам вас співробітнику.",
        "greet_back": "З поверненням, {name}! Чим допомогти?",
        "greet_order": "Бачу, питання щодо замовлення {order}.",
        "help": "Напишіть питання своїми словами. Команди: /human - зв'язатися зі "
        "співробітником, /language - змінити мову. Якщо вирішена проблема повернулася, напишіть "
        "«досі не вирішено».",
        "source": "Джерело",
        "answer_language": "Ця відповідь у нас є лише мовою: {name}.",
        "clarify": "Що саме ви маєте на увазі? Оберіть:",
        "sorry": "Мені дуже прикро, що так сталося.",
        "escalated": "Сам я це не вирішу, тому передав ваше звернення #{case} співробітнику. "
        "Оператор відповість тут. Ви {position}-й у черзі, очікування близько {wait} хв. Поки "
        "звернення у співробітника, я в ньому не відповідаю.",
        "escalated_assigned": "Ваше звернення #{case} в оператора, він відповість тут.",
        "reopened": "Я знову відкрив звернення #{case} і передав його оператору. Ви {position}-й "
        "у черзі, очікування близько {wait} хв.",
        "already_queued": "Звернення #{case} вже в нашої команди: ви {position}-й у черзі, "
        "близько {wait} хв. Оператор відповість тут.",
        "order_status": "Ваше замовлення {number}: {status}.",
        "order_promised": "Обіцяна дата доставки: {date}.",
        "order_delivered": "Доставлено: {date}.",
        "contact_linked": "Дякую, я зберіг ваш номер телефону.",
        "helped": "Радий, що допоміг!",
        "unsupported_sticker": "Чудовий стікер! Але я краще розумію текст: опишіть питання "
        "словами або натисніть «Зв'язатися з людиною».",
        "unsupported_file": "Дякую, я зберіг {what} у зверненні, оператор його побачить. Сам я "
        "файли не читаю: опишіть питання словами або натисніть «Зв'язатися з людиною».",
        "unsupported_edited": "Я відповідаю лише на нові повідомлення: надішліть виправлене "
        "питання новим повідомленням.",
        "unsupported_too_long": "Дякую, я зберіг усе повідомлення. Напишіть головне питання "
        "одним-двома реченнями або натисніть «Зв'язатися з людиною»: оператор прочитає все.",
        "unsupported_emoji_only": "Слова я розумію краще, ніж емодзі: яке у вас питання?",
        "unsupported_empty": "Я не отримав тексту: яке у вас питання?",
        "small_talk_greeting": "Вітаю! Яке у вас питання? Опишіть його своїми словами.",
        "small_talk_thanks": "Будь ласка! Можу ще чимось допомогти?",
        "btn_helped": "Допомогло",
        "btn_human": "Зв'язатися з людиною",
        "btn_reopen": "Досі не вирішено",
        "choose_language": "Оберіть мову:",
        "language_set": "Готово, пишу українською.",
        "stale_button": "Ця кнопка вже не активна.",
        "pulse_closed": "Це опитування вже закрите. Все одно дякуємо!",
        "error": "Вибачте, у нас щось пішло не так. Ваше повідомлення збережено; спробуйте за "
        "хвилину або наберіть /human.",
        "what_photo": "фото",
        "what_voice": "голосове повідомлення",
        "what_document": "документ",
        "what_media": "файл",
    },
    "ro": {
        "greet_new": "Bună{name}! Sunt asistentul de suport. Scrieți întrebarea și vă răspund din "
        "articolele noastre sau vă transfer unui coleg.",
        "greet_back": "Bine ați revenit, {name}! Cu ce vă pot ajuta?",
        "greet_order": "Văd că este vorba despre comanda {order}.",
        "help": "Scrieți întrebarea cu cuvintele dvs. Comenzi: /human - vorbiți cu un om, "
        "/language - schimbați limba. Dacă o problemă rezolvată revine, scrieți „tot nu e "
        "rezolvat”.",
        "source": "Sursa",
        "answer_language": "Acest răspuns este disponibil doar în limba: {name}.",
        "clarify": "La care dintre acestea vă referiți? Alegeți:",
        "sorry": "Îmi pare foarte rău pentru ce s-a întâmplat.",
        "escalated": "Nu pot rezolva singur, așa că am transmis cazul #{case} unui coleg. Un "
        "operator va răspunde aici. Sunteți al {position}-lea la rând; așteptare de circa {wait} "
        "min. Între timp nu voi răspunde în acest caz.",
        "escalated_assigned": "Cazul #{case} este la un operator, care va răspunde aici.",
        "reopened": "Am redeschis cazul #{case} și l-am transmis unui operator. Sunteți al "
        "{position}-lea la rând; așteptare de circa {wait} min.",
        "already_queued": "Cazul #{case} este deja la echipa noastră: al {position}-lea la rând, "
        "circa {wait} min. Un operator va răspunde aici.",
        "order_status": "Comanda dvs. {number}: {status}.",
        "order_promised": "Livrare promisă: {date}.",
        "order_delivered": "Livrată: {date}.",
        "contact_linked": "Mulțumesc, am salvat numărul dvs. de telefon.",
        "helped": "Mă bucur că a ajutat!",
        "unsupported_sticker": "Frumos sticker! Înțeleg mai bine textul: descrieți întrebarea "
        "în cuvinte sau apăsați „Vorbește cu un om”.",
        "unsupported_file": "Mulțumesc, am salvat {what} în cazul dvs., un operator îl va vedea. "
        "Nu pot citi fișiere: descrieți întrebarea în cuvinte sau apăsați „Vorbește cu un om”.",
        "unsupported_edited": "Răspund doar la mesaje noi: trimiteți întrebarea corectată ca "
        "mesaj nou.",
        "unsupported_too_long": "Mulțumesc, am salvat tot mesajul. Scrieți întrebarea principală "
        "în una-două propoziții sau apăsați „Vorbește cu un om”: un operator va citi tot.",
        "unsupported_emoji_only": "Înțeleg cuvintele mai bine decât emoji: care este întrebarea?",
        "unsupported_empty": "Nu am primit text: care este întrebarea?",
        "small_talk_greeting": "Bună ziua! Care este întrebarea dumneavoastră? Descrieți-o "
        "în cuvintele dvs.",
        "small_talk_thanks": "Cu plăcere! Vă mai pot ajuta cu ceva?",
        "btn_helped": "M-a ajutat",
        "btn_human": "Vorbește cu un om",
        "btn_reopen": "Tot nu e rezolvat",
        "choose_language": "Alegeți limba:",
        "language_set": "Gata, vă scriu în română.",
        "stale_button": "Acest buton nu mai este activ.",
        "pulse_closed": "Acest sondaj s-a încheiat. Vă mulțumim oricum!",
        "error": "Ne pare rău, ceva nu a mers la noi. Mesajul este salvat; încercați peste un "
        "minut sau scrieți /human.",
        "what_photo": "fotografia",
        "what_voice": "mesajul vocal",
        "what_document": "documentul",
        "what_media": "fișierul",
    },
}

FILE_KINDS = ("photo", "voice", "document")


def language_of(code: str | None) -> str:
    """Telegram's language_code ('ru', 'en-US', 'uk') -> one of LANGUAGES."""
    short = (code or "").split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT


def t(language: str | None, key: str, **values: object) -> str:
    table = TEXTS.get(language or DEFAULT, TEXTS[DEFAULT])
    return table.get(key, TEXTS[DEFAULT][key]).format(**values)


UPSET = frozenset(("angry", "harm", "legal_threat"))
"""Escalation reasons (``core.conversation.handover``) that open the reply with an apology."""


def render_reply(reply: Reply) -> str:
    """The text of a core Reply in the customer's language (the ``render`` of the Conversation)."""
    lang = reply.language
    if reply.kind == ReplyKind.ANSWER and reply.answer is not None:
        text = reply.answer.text
        written_in = reply.answer.text_language
        if written_in and lang and written_in != lang and written_in in LANGUAGE_NAMES:
            text = f"{t(lang, 'answer_language', name=LANGUAGE_NAMES[written_in])}\n\n{text}"
        if reply.answer.sources:
            text += f"\n\n{t(lang, 'source')}: {reply.answer.sources[0].question}"
        return text
    if reply.kind == ReplyKind.CLARIFY:
        return t(lang, "clarify")
    if reply.kind in (ReplyKind.ESCALATED, ReplyKind.REOPENED, ReplyKind.ALREADY_QUEUED):
        queue = reply.queue
        key = str(reply.kind)
        if queue is None or queue.position == 0:
            key = "escalated_assigned"
        position, wait = (queue.position, queue.expected_wait_minutes) if queue else (0, 0)
        text = t(lang, key, case=reply.case_id, position=position, wait=wait)
        return f"{t(lang, 'sorry')} {text}" if reply.reason in UPSET else text
    if reply.kind == ReplyKind.UNSUPPORTED:
        reason = reply.reason or "empty"
        if reason in FILE_KINDS or f"unsupported_{reason}" not in TEXTS[DEFAULT]:
            what = reason if reason in FILE_KINDS else "media"
            return t(lang, "unsupported_file", what=t(lang, f"what_{what}"))
        return t(lang, f"unsupported_{reason}")
    if reply.kind == ReplyKind.RESOLVED:
        return t(lang, "helped")
    if reply.kind == ReplyKind.SMALL_TALK:
        return t(lang, f"small_talk_{reply.reason}")
    if reply.kind == ReplyKind.ORDER_STATUS and reply.order is not None:
        return order_status(lang, reply.order)
    return ""


def order_status(lang: str, order: OrderStatus) -> str:
    """ "Your order 100311: shipped. Promised delivery: 06.11.2026." in the customer's language."""
    lines = [t(lang, "order_status", number=order.number, status=order.status or "?")]
    if order.delivered_at is not None:
        lines.append(t(lang, "order_delivered", date=f"{order.delivered_at:%d.%m.%Y}"))
    elif order.promised_at is not None:
        lines.append(t(lang, "order_promised", date=f"{order.promised_at:%d.%m.%Y}"))
    return " ".join(lines)
