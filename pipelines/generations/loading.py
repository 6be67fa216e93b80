"""Loading a seq2seq generator: safetensors only, clear errors before any work starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from pipelines.hub import model_source

ADVICE = (
    "give a local folder with config.json, model.safetensors and the tokenizer "
    "(save_pretrained), or a model id reachable online"
)
TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "sentencepiece.bpe.model", "vocab.json")


def load_seq2seq(
    source: str, *, trust_remote_code: bool = False, attention: str | None = None
) -> tuple[Any, Any]:
    """(tokenizer, model) from a Hugging Face id or a local folder, model in eval mode.

    ``attention`` picks transformers' attention implementation (default: its own choice).

    Raises:
        InputError: no such folder, no config, no safetensors weights, no tokenizer, not a
            seq2seq model, or an id that cannot be fetched.
    """
    from safetensors import SafetensorError
    from transformers import AutoModelForSeq2SeqLM

    source = source.removeprefix("hf:")
    tokenizer = check_seq2seq(source, trust_remote_code=trust_remote_code)
    try:
        model = AutoModelForSeq2SeqLM.from_pretrained(
            source,
            use_safetensors=True,
            trust_remote_code=trust_remote_code,
            attn_implementation=attention,
        )
    except (OSError, ValueError, SafetensorError) as error:
        raise InputError(f"cannot load model {source!r}: {error}; {ADVICE}") from error
    return tokenizer, model.eval()


def check_seq2seq(source: str, *, trust_remote_code: bool = False) -> Any:
    """The checks of :func:`load_seq2seq` short of loading the weights; returns the tokenizer.

    Raises:
        InputError: as :func:`load_seq2seq`.
    """
    from transformers import AutoConfig, AutoTokenizer

    source = source.removeprefix("hf:")
    _check_local(source)
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
        if not getattr(config, "is_encoder_decoder", False):
            raise InputError(
                f"model {source!r} is a {config.model_type} model, not an encoder-decoder "
                "(seq2seq) one such as mT5; give a query generator"
            )
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        where = "" if Path(source).expanduser().exists() else "no such folder; as a model id: "
        raise InputError(f"cannot load model {source!r}: {where}{error}; {ADVICE}") from error
    # transformers 5 builds an empty tokenizer from config.json alone when the tokenizer
    # files are missing: every word would be unknown.
    if len(tokenizer) <= len(tokenizer.all_special_tokens):
        raise InputError(f"model {source!r}: its tokenizer has no vocabulary; {ADVICE}")
    return tokenizer


def _check_local(source: str) -> None:
    path = Path(model_source(source, "generator"))
    if not path.exists():
        return  # a Hugging Face id such as org/name, cached or reachable
    if not path.is_dir():
        raise InputError(f"{source}: not a folder; {ADVICE}")
    if not (path / "config.json").is_file():
        raise InputError(f"{source}: no config.json; {ADVICE}")
    if not any(path.glob("*.safetensors")):
        raise InputError(
            f"{source}: no *.safetensors weights; xqg never unpickles weight files. Convert "
            "the checkpoint once with save_pretrained(..., safe_serialization=True)"
        )
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise InputError(
            f"{source}: no tokenizer files ({', '.join(TOKENIZER_FILES)}); save the "
            "tokenizer beside the model with tokenizer.save_pretrained(folder)"
        )
