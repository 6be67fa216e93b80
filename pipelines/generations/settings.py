"""The settings that decide what a model-based generation run produces.

They are stored as the run's parameters: a run continued with ``--resume``, every shard of
a run and the Ray engine read them back from there, so all of them produce the rows one
clean run would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from pipelines.errors import InputError
from pipelines.generations.prompts import DEFAULT_TEMPLATE, check_template
from pipelines.languages import normalize_language

DEFAULT_MODEL = "ielabgroup/xor-tydi-docTquery-mt5-base"
# The seven XOR-TyDi languages of the paper.
DEFAULT_LANGUAGES = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
# The generator's training seed in the authors' repository.
DEFAULT_SEED = 313
DEFAULT_BATCH_SIZE = 8
# Passages are sorted by length within windows of this many batches (less padding).
SORT_WINDOW_BATCHES = 32
# How samples are drawn (see pipelines.generations.sampling); changes get a new name.
SAMPLER = "keyed-gumbel-top-k/1"
MAX_BATCH_SIZE = 4096


@dataclass(frozen=True)
class GenerationSettings:
    """Everything that shapes the generated queries of a run (the run's params).

    Attributes:
        model: Hugging Face model id or local folder of a seq2seq checkpoint.
        languages: ISO 639-1 codes of the target languages, in this order.
        per_language: samples drawn per passage and language (before the guards).
        template: the prompt, with ``{lang}``, ``{title}`` and ``{passage}``.
        top_k: sampling keeps the k most likely tokens at each step.
        max_new_tokens: longest generated query, in tokens.
        max_input_length: the prompt is truncated to this many tokens.
        seed: with the docid, language and sample number, fixes every sample.
        batch_size: passages per batch; batches are generated in one call, committed in one
            transaction, and fixed by the collection, so they also define resume and shards.
        guards: drop empty outputs, copies of the prompt and duplicates.
        trust_remote_code: allow the checkpoint's own Python code (off unless asked).
    """

    model: str = DEFAULT_MODEL
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    per_language: int = 5
    template: str = DEFAULT_TEMPLATE
    top_k: int = 10
    max_new_tokens: int = 32
    max_input_length: int = 256
    seed: int = DEFAULT_SEED
    batch_size: int = DEFAULT_BATCH_SIZE
    guards: bool = True
    trust_remote_code: bool = False

    def checked(self) -> GenerationSettings:
        """These settings with normalised languages; InputError names the bad option."""
        if not self.model.strip():
            raise InputError("--model is empty; give a Hugging Face model id or a local folder")
        languages = tuple(dict.fromkeys(normalize_language(code) for code in self.languages))
        if not languages:
            raise InputError("--langs is empty; give language codes such as ar,bn,fi")
        check_template(self.template)
        for option, value, low in (
            ("--per-lang", self.per_language, 1),
            ("--top-k", self.top_k, 1),
            ("--max-new-tokens", self.max_new_tokens, 1),
            ("--max-input-length", self.max_input_length, 8),
            ("--batch-size", self.batch_size, 1),
        ):
            if value < low:
                raise InputError(f"{option} must be at least {low}, got {value}")
        if self.batch_size > MAX_BATCH_SIZE:
            raise InputError(
                f"--batch-size must be at most {MAX_BATCH_SIZE}, got {self.batch_size}"
            )
        return GenerationSettings(**{**asdict(self), "languages": languages})

    def to_params(self, collection: str, passages: int) -> dict[str, Any]:
        """The run parameters: every setting, the corpus, and how batches and samples are made."""
        return {
            "source": "model",
            "collection": collection,
            "passages": passages,
            **asdict(self),
            "languages": list(self.languages),
            "sort_window_batches": SORT_WINDOW_BATCHES,
            "sampler": SAMPLER,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> GenerationSettings:
        """The settings a run was started with."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in params.items() if k in names}
        values["languages"] = tuple(values.get("languages", DEFAULT_LANGUAGES))
        return cls(**values)
