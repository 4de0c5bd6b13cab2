"""Text normalisation, language detection, stemming and transliteration for FAQ matching.

Languages in scope: Russian, Ukrainian, Romanian and English. Language detection is a small
script-and-letter heuristic rather than a library: the four languages are separable by
alphabet (Cyrillic vs Latin) and by a few letters and very common words (Ukrainian і ї є ґ,
Romanian ă â î ș ț), which works on two-word messenger texts where statistical detectors
(langdetect, langid) are unreliable, and it needs no model file or extra dependency.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

import Stemmer

CYR = re.compile(r"[а-яёіїєґ]")
LAT = re.compile(r"[a-zăâîșşțţ]")
TOKEN = re.compile(r"[0-9a-zа-яёіїєґăâîșşțţ']+")

# Latin letters that look like Cyrillic ones, and back (fix mixed-script words).
LAT2CYR = str.maketrans("aceopxyikmtbh", "асеорхуікмтвн")
CYR2LAT = str.maketrans("асеорхуікмтвн", "aceopxyikmtbh")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


UK_LETTERS = set("іїєґ")
RO_LETTERS = set("ăâîșşțţ")
UK_WORDS = _words(
    "що як це мені мене чи та або будь ласка картку картка рахунок гроші можна коли "
    "де хочу не працює від для немає вже ще треба"
)
RU_WORDS = _words(
    "что как это мне меня или да нет пожалуйста карту карта счет деньги можно когда "
    "где хочу не работает от для уже еще надо почему"
)
RO_WORDS = _words(
    "si și nu este sunt pentru cum unde cand când vreau pot mea meu cardul contul "
    "banii un o la de cu am ce care mai poate"
)
EN_WORDS = _words(
    "the a an is are i my me you to of and or for how what why when where can do does "
    "not it in on with card account money please want"
)

# Chat-style transliteration of Russian in Latin letters, longest patterns first.
TRANSLIT = [
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("tz", "ц"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("iu", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("ia", "я"),
    ("yo", "ё"),
    ("jo", "ё"),
    ("ye", "е"),
    ("je", "е"),
    ("y'", "ь"),
    ("'", "ь"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("j", "й"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "ц"),
    ("x", "кс"),
    ("q", "к"),
    ("y", "ы"),
    ("4", "ч"),
    ("6", "ш"),
]
# Other readings of ambiguous spellings, tried when the first is not a word of the KB.
ALTERNATIVES = {
    "sch": ("щ", "сч"),
    "ts": ("ц", "тс"),
    "'": ("ь", "ъ"),
    "ya": ("я", "ья"),
    "yu": ("ю", "ью"),
    "ye": ("е", "ье"),
    "yo": ("ё", "ьо"),
    "kh": ("х", "кх"),
}
_TRANSLIT_RE = re.compile("|".join(re.escape(a) for a, _ in TRANSLIT))
_TRANSLIT_MAP = dict(TRANSLIT)

STEMMERS = {"ru": "russian", "uk": "russian", "ro": "romanian", "en": "english"}


def normalize(text: str) -> str:
    """Lower-case, NFKC, ё→е, punctuation and emoji to spaces, mixed-script words fixed."""
    return " ".join(w for w in (r.strip("'") for r in _raw_words(text)) if w)


def _raw_words(text: str) -> list[str]:
    """Normalised words keeping their apostrophes (a soft sign in transliterated Russian)."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    text = text.replace("’", "'").replace("`", "'").replace("ʼ", "'")
    words = []
    for word in TOKEN.findall(text):
        if CYR.search(word) and LAT.search(word):
            cyr, lat = len(CYR.findall(word)), len(LAT.findall(word))
            word = word.translate(LAT2CYR) if cyr >= lat else word.translate(CYR2LAT)
        words.append(word)
    return words


def script(text: str) -> str | None:
    """'cyr', 'lat' or None (no letters), by majority of letters."""
    cyr, lat = len(CYR.findall(text)), len(LAT.findall(text))
    if not cyr and not lat:
        return None
    return "cyr" if cyr >= lat else "lat"


def detect_language(text: str) -> str | None:
    """One of ru/uk/ro/en, or None when the text has no letters of those alphabets."""
    norm = normalize(text)
    kind = script(norm)
    if kind is None:
        return None
    words = norm.split()
    if kind == "cyr":
        if UK_LETTERS & set(norm):
            return "uk"
        uk = sum(w in UK_WORDS for w in words)
        ru = sum(w in RU_WORDS for w in words)
        return "uk" if uk > ru else "ru"
    if RO_LETTERS & set(norm):
        return "ro"
    ro = sum(w in RO_WORDS for w in words)
    en = sum(w in EN_WORDS for w in words)
    return "ro" if ro > en else "en"


def transliterate(word: str) -> str:
    """Latin-letter Russian (``kurier obeshal``) to Cyrillic (``куриер обешал``)."""
    return transliterations(word)[0]


def transliterations(word: str, limit: int = 8) -> list[str]:
    """Cyrillic readings of a Latin word, the most usual first: ``schet`` → щет, счет;
    ``eto`` → ето, это; ``pol'zuetsya`` → пользуеця ... пользуется."""
    parts: list[tuple[str, ...]] = []
    pos = 0
    for m in _TRANSLIT_RE.finditer(word):
        parts.append((word[pos : m.start()],))
        key = m.group(0)
        if key == "e" and m.start() == 0:
            parts.append(("е", "э"))
        else:
            parts.append(ALTERNATIVES.get(key, (_TRANSLIT_MAP[key],)))
        pos = m.end()
    parts.append((word[pos:],))
    out: list[str] = []
    for choice in itertools.islice(itertools.product(*parts), limit):
        # "y" after a vowel is usually й ("moy", "kakoy"), elsewhere ы.
        out.append(re.sub(r"(?<=[аеёиоуыэюя])ы", "й", "".join(choice)))
    return list(dict.fromkeys(out))


def detransliterate(text: str, vocabulary: frozenset[str] | set[str] | None = None) -> str:
    """Turn Latin words of ``text`` to Cyrillic where that looks like transliterated Russian.

    With a ``vocabulary`` of stems, a word takes the first of its readings
    (:func:`transliterations`) whose stem is in the vocabulary, unless its Latin stem is
    there too; once two words have been read as Russian and no English or Romanian stop word
    is left, the other Latin words take their most usual reading. Without a vocabulary, every
    Latin word of a text with no English or Romanian stop words is converted.
    """
    raw = [w for w in _raw_words(text) if w.strip("'")]
    words = [w.strip("'") for w in raw]
    if not words or not any(LAT.search(w) for w in words):
        return " ".join(words)
    if vocabulary is None:
        if any(w in EN_WORDS or w in RO_WORDS for w in words):
            return " ".join(words)
        return " ".join(
            transliterate(r) if LAT.search(w) else w for r, w in zip(raw, words, strict=True)
        )
    latin = [i for i, w in enumerate(words) if LAT.search(w) and not CYR.search(w)]
    read = 0
    for i in latin:
        if stem(words[i], "en") in vocabulary:
            continue
        found = next((c for c in transliterations(raw[i]) if stem(c, "ru") in vocabulary), None)
        if found is not None:
            words[i], read = found, read + 1
    rest = [i for i in latin if LAT.search(words[i])]
    if read >= 2 and not any(words[i] in EN_WORDS or words[i] in RO_WORDS for i in rest):
        for i in rest:
            if stem(words[i], "en") not in vocabulary:
                words[i] = transliterate(raw[i])
    return " ".join(w.strip("'") for w in words)


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMERS.get(language, "english"))


@lru_cache(maxsize=200_000)
def stem(word: str, language: str | None) -> str:
    """Snowball stem; Ukrainian uses the Russian algorithm (PyStemmer has no Ukrainian one)."""
    if language is None:
        language = "ru" if CYR.search(word) else "en"
    return str(_stemmer(language).stemWord(word))


def tokens(text: str, language: str | None = None) -> list[str]:
    """Normalised, stemmed word tokens; each word is stemmed by its own script's language."""
    out = []
    for word in normalize(text).split():
        if CYR.search(word):
            lang = language if language in ("ru", "uk") else "ru"
        else:
            lang = language if language in ("en", "ro") else "en"
        out.append(stem(word, lang))
    return out


def char_key(text: str) -> str:
    """Text for the character n-gram channel: normalised, Ukrainian letters folded to Russian."""
    return normalize(text).translate(UK_FOLD)


UK_FOLD = str.maketrans({"і": "и", "ї": "и", "є": "е", "ґ": "г", "'": ""})
