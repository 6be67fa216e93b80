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


def trained_template(model: str) -> str | None:
    """The template a generator was fine-tuned with (``xqg train generator`` writes it into
    the model folder's ``training.json``), so that it is prompted as it learned; None for a
    model id or a folder without one."""
    import json
    from pathlib import Path

    description = Path(model).expanduser() / "training.json"
    if not description.is_file():
        return None
    try:
        template = json.loads(description.read_text("utf-8")).get("template")
    except (OSError, ValueError):
        return None
    return template if isinstance(template, str) else None
