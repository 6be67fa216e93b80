"""Hyper-parameters of training jobs, with the paper's recipes as defaults.

Encoders, Tevatron on XOR-TyDi (``../shared/docs/method.md``): tied encoders, CLS pooling,
raw dot product (temperature 1), in-batch plus hard negatives, 1 positive + 7 negatives per
query, lr 1e-5, query max 32 tokens, passage max 128, passage text ``title + " " + text``.
Generators, DSI-QG as the xQG authors trained mT5: the generation prompt template, lr 1e-4,
max input 128 tokens, best checkpoint by eval loss, seed 313.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.encoders.base import EncoderConfig
from pipelines.errors import InputError
from pipelines.generations.prompts import DEFAULT_TEMPLATE, check_template
from pipelines.options import POOLINGS, PRECISIONS, SIMILARITIES, Pooling, Precision, Similarity

DEFAULT_COS_TEMPERATURE = 0.05
DEV_MEASURES = ("MRR@10", "Recall@10", "Recall@100")
RUNTIME_FIELDS = ("device", "save_every", "keep_checkpoints", "eval_batch_size", "output")


@dataclass(frozen=True)
class TrainingJob:
    """What every training shares: the model to start from, the data, the optimisation and
    where checkpoints go. ``model`` is a local folder or a model id."""

    model: str
    collection: str
    languages: list[str] | None = None
    train_splits: list[str] | None = None
    dev_split: str | None = None
    dev_fraction: float = 0.1
    dev_languages: list[str] | None = None
    batch_size: int = 8
    accumulation: int = 1
    learning_rate: float = 1e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    epochs: int = 1
    max_steps: int | None = None
    seed: int = 42
    precision: Precision = "auto"
    trust_remote_code: bool = False
    device: str = "auto"
    save_every: int | None = None
    keep_checkpoints: int = 2
    eval_batch_size: int = 64
    output: str | None = None
    # Keep the input (word) embeddings as they are: e5-small's 250k-piece table is 96M of
    # its 118M parameters, so AdamW and clipping touch a fifth of them (a CPU budget).
    freeze_embeddings: bool = False

    def __post_init__(self) -> None:
        if self.model.strip() in ("", "e5-small"):
            raise InputError(
                "train a Hugging Face model: --model <folder or model id>; for e5-small, "
                "convert it first with `xqg models import-e5-small DIR` and pass --model DIR"
            )
        if self.precision not in PRECISIONS:
            raise InputError(
                f"--precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}"
            )
        positive = {
            "--batch-size": self.batch_size,
            "--accumulation": self.accumulation,
            "--epochs": self.epochs,
            "--keep-checkpoints": self.keep_checkpoints,
            "--eval-batch-size": self.eval_batch_size,
        }
        for flag, value in positive.items():
            if value < 1:
                raise InputError(f"{flag} must be at least 1, got {value}")
        for flag, maybe in (("--max-steps", self.max_steps), ("--save-every", self.save_every)):
            if maybe is not None and maybe < 1:
                raise InputError(f"{flag} must be at least 1, got {maybe}")
        if not 0.0 <= self.dev_fraction < 1.0:
            raise InputError(f"--dev-fraction must be in [0, 1), got {self.dev_fraction}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise InputError(f"--warmup-ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.learning_rate <= 0:
            raise InputError("--lr must be positive")

    @property
    def model_source(self) -> str:
        """The folder (absolute) or model id that ``from_pretrained`` gets."""
        source = self.model.removeprefix("hf:")
        path = Path(source).expanduser()
        return str(path.resolve()) if path.exists() else source

    def identity(self) -> dict[str, Any]:
        """What shapes the trained model: the run's parameters."""
        fields = asdict(self)
        for key in RUNTIME_FIELDS:
            fields.pop(key)
        fields["model"] = self.model_source
        if not self.freeze_embeddings:  # runs from before the option keep their identity
            fields.pop("freeze_embeddings")
        return fields


@dataclass(frozen=True)
class EncoderTraining(TrainingJob):
    """Contrastive fine-tuning of a bi-encoder (the paper's xDR recipe by default)."""

    with_generations: str | None = None
    generation_languages: list[str] | None = None
    exclude_heldout: list[str] = field(default_factory=list)
    negatives_from: str | None = None
    negative_depth: int = 30
    negatives: int = 7
    pooling: Pooling = "cls"
    similarity: Similarity = "dot"
    temperature: float | None = None
    query_prefix: str = ""
    passage_prefix: str = ""
    query_max_length: int = 32
    passage_max_length: int = 128
    passage_title: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for flag, value in (
            ("--negative-depth", self.negative_depth),
            ("--query-max-length", self.query_max_length),
            ("--passage-max-length", self.passage_max_length),
        ):
            if value < 1:
                raise InputError(f"{flag} must be at least 1, got {value}")
        if self.negatives < 0:
            raise InputError(f"--negatives must be 0 or more, got {self.negatives}")
        if self.temperature is not None and self.temperature <= 0:
            raise InputError("--temperature must be positive")
        for flag, choice, allowed in (
            ("--pooling", str(self.pooling), POOLINGS),
            ("--similarity", str(self.similarity), SIMILARITIES),
        ):
            if choice not in allowed:
                raise InputError(f"{flag} must be one of {', '.join(allowed)}; got {choice!r}")

    @property
    def scale(self) -> float:
        """The temperature the scores are divided by (1 for dot, 0.05 for cosine by default)."""
        if self.temperature is not None:
            return self.temperature
        return 1.0 if self.similarity == "dot" else DEFAULT_COS_TEMPERATURE

    def identity(self) -> dict[str, Any]:
        """What shapes the trained model: the run's parameters."""
        return {**super().identity(), "temperature": self.scale}

    def encoder_config(self, model: str, *, batch_size: int | None = None) -> EncoderConfig:
        """How to encode with ``model`` (a folder) exactly as the training saw texts (in
        float32, as its dev evaluation did)."""
        return EncoderConfig(
            name=f"hf:{model}",
            pooling=self.pooling,
            normalize=self.similarity == "cos",
            query_prefix=self.query_prefix,
            passage_prefix=self.passage_prefix,
            query_max_length=self.query_max_length,
            passage_max_length=self.passage_max_length,
            passage_title=self.passage_title,
            batch_size=batch_size or self.eval_batch_size,
            device=self.device,
            trust_remote_code=self.trust_remote_code,
            precision="fp32",
        )


@dataclass(frozen=True)
class GeneratorTraining(TrainingJob):
    """Fine-tuning a seq2seq model to write a question in language L for (title, passage),
    with the prompt the generate step uses; ``languages`` are the question languages."""

    learning_rate: float = 1e-4
    warmup_ratio: float = 0.0
    seed: int = 313
    template: str = DEFAULT_TEMPLATE
    max_input_length: int = 128
    max_target_length: int = 32
    eval_every: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_template(self.template)
        for flag, value in (
            ("--max-input-length", self.max_input_length),
            ("--max-target-length", self.max_target_length),
        ):
            if value < 1:
                raise InputError(f"{flag} must be at least 1, got {value}")
        if self.eval_every is not None and self.eval_every < 1:
            raise InputError(f"--eval-every must be at least 1, got {self.eval_every}")
