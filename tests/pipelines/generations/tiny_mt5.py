"""A tiny mT5-style generator built on the spot: real tokenizer training, random weights.

No model can be downloaded here, so tests and the benchmark build one: a Unigram tokenizer
trained with the ``tokenizers`` package on real XQuAD paragraphs and questions in several
scripts, and an MT5ForConditionalGeneration from a small config with seeded random weights,
both saved with ``save_pretrained`` (safetensors) so that they load through the real path.
"""

from __future__ import annotations

import json
from pathlib import Path

TRAINING_LANGUAGES = ("en", "ar", "de", "hi", "ru")


def training_texts(xquad: Path, paragraphs: int = 40) -> list[str]:
    """Paragraphs and questions from the first XQuAD paragraphs in several languages."""
    texts: list[str] = []
    for language in TRAINING_LANGUAGES:
        document = json.loads((xquad / f"xquad.{language}.json").read_text("utf-8"))
        left = paragraphs
        for article in document["data"]:
            for paragraph in article["paragraphs"][:left]:
                texts.append(paragraph["context"])
                texts.extend(qa["question"] for qa in paragraph["qas"])
                left -= 1
            if left <= 0:
                break
    return texts


def build_tiny_mt5(
    folder: Path,
    xquad: Path,
    *,
    vocab_size: int = 800,
    d_model: int = 32,
    layers: int = 1,
    heads: int = 2,
    seed: int = 0,
    paragraphs: int = 12,
) -> Path:
    """Save a tokenizer and a randomly initialised mT5 into ``folder``; returns it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from tokenizers.processors import TemplateProcessing
    from transformers import MT5Config, MT5ForConditionalGeneration, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(training_texts(xquad, paragraphs), trainer)
    # T5 convention: ids 0, 1, 2 are pad, end of sequence and unknown; inputs end with </s>.
    tokenizer.post_processor = TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    ).save_pretrained(folder)
    config = MT5Config(
        vocab_size=tokenizer.get_vocab_size(),
        d_model=d_model,
        d_kv=d_model // heads,
        d_ff=2 * d_model,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=heads,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(seed)
    model = MT5ForConditionalGeneration(config)
    with torch.no_grad():
        # Small weights give flat next-token distributions: varied samples, as from a
        # trained model, instead of one token repeated.
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.05)
    model.save_pretrained(folder)
    return folder
