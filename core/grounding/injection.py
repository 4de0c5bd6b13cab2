"""Text that tries to instruct the model: "ignore previous instructions", a new role, a system
prompt, chat-template markers, in the languages the product speaks. A question or a retrieved
entry that holds such text is not sent to the model at all; the extractive answer is used (the
guard in ``core.grounding.guard`` is the second line, for what these patterns miss)."""

from __future__ import annotations

import re

_INSTRUCTIONS = re.compile(
    r"(?i)"
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|rules|prompt|guidelines)"
    r"|\byou are now\b|\bact as\b|\bpretend (?:to be|you)|\bdeveloper mode\b|\bjailbreak"
    r"|\bsystem prompt|\bnew instructions?\b|\bDAN\b"
    r"|\b(?:игнорируй|проигнорируй|забудь|отмени)\b.{0,40}\b(?:инструкц\w*|правил\w*|указани\w*)"
    r"|\bты теперь\b|\bпредставь,? что ты\b|\bпритворись\b|\bсистемн\w+ (?:промпт|подсказк\w*)"
    r"|\bнов\w+ инструкц\w*"
    r"|\b(?:ігноруй|проігноруй|забудь|скасуй)\b.{0,40}\b(?:інструкц\w*|правил\w*|вказівк\w*)"
    r"|\bти тепер\b|\bуяви,? що ти\b|\bвдавай\b|\bприкинься\b|\bсистемн\w+ (?:промпт|підказк\w*)"
    r"|\bнов\w+ інструкц\w*"
    r"|\b(?:ignoră|ignora|uită|anulează)\b.{0,40}\b(?:instrucțiuni\w*|instructiuni\w*|reguli\w*)"
    r"|\bacum ești\b|\bacum esti\b|\bprefă-te\b|\bprefa-te\b|\bpromptul de sistem\b"
    r"|\binstrucțiuni noi\b"
    r"|<\|im_start\|>|\[/?INST\]|^\s*(?:system|assistant)\s*:",
    re.MULTILINE,
)


def looks_like_instructions(text: str) -> bool:
    return bool(_INSTRUCTIONS.search(text))
