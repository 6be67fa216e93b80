"""The generation prompt, as the released xQG generator was trained with it."""

from __future__ import annotations

import string

from pipelines.errors import InputError
from pipelines.languages import LANGUAGE_NAMES

DEFAULT_TEMPLATE = "Generate a {lang} question for this passage: {title} {passage}"
# The prompt of earlier code in the authors' repository.
OLD_TEMPLATE = "Generate {lang} question: {title}</s>{passage}"
FIELDS = frozenset({"lang", "title", "passage"})


def check_template(template: str) -> str:
    """A template must use only {lang}, {title} and {passage}, and must use {passage}."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise InputError(f"malformed prompt template {template!r}: {error}") from error
    unknown = used - FIELDS
    if unknown or "passage" not in used:
        raise InputError(
            f"prompt template {template!r} must use {{passage}} and only {{lang}}, {{title}}, "
            f"{{passage}}; found {sorted(used)}"
        )
    return template


def format_prompt(template: str, language: str, title: str, passage: str) -> str:
    """The model input for one passage and target language (English language name)."""
    return template.format(lang=LANGUAGE_NAMES[language], title=title, passage=passage)
