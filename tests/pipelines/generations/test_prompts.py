"""The generation prompt is the official one, with English language names."""

from __future__ import annotations

import pytest

from pipelines.errors import InputError
from pipelines.generations.prompts import (
    DEFAULT_TEMPLATE,
    OLD_TEMPLATE,
    check_template,
    format_prompt,
)


def test_official_prompt_uses_english_language_names() -> None:
    assert format_prompt(DEFAULT_TEMPLATE, "te", "Portland", "Portland is a city.") == (
        "Generate a Telugu question for this passage: Portland Portland is a city."
    )
    assert format_prompt(OLD_TEMPLATE, "ja", "Oslo", "Oslo is a city.") == (
        "Generate Japanese question: Oslo</s>Oslo is a city."
    )


@pytest.mark.parametrize("template", ["Ask about {topic}: {passage}", "Ask in {lang}", "{passage"])
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(InputError, match="template"):
        check_template(template)
