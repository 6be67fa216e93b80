"""A tiny BERT encoder built on the spot from real multilingual XQuAD text.

A WordPiece tokenizer is trained on XQuAD contexts and questions, a 2-layer BERT is
initialised with a fixed seed, and both are saved with ``save_pretrained`` (safetensors)
into a folder that loads through ``load_encoder("hf:<folder>")``: a fast real encoder for
tests that need one but not e5-small's quality.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "de", "es", "ru", "zh")
HIDDEN = 32

Xquad = dict[str, list[dict[str, Any]]]


def xquad_articles(folder: Path) -> Xquad:
    """Language -> XQuAD articles (title, paragraphs with context and qas)."""
    return {
        lang: json.loads((folder / f"xquad.{lang}.json").read_text("utf-8"))["data"]
        for lang in LANGUAGES
    }


def build_tiny_bert(folder: Path, xquad: Xquad) -> Path:
    """Train the tokenizer, initialise the model and save both into ``folder``."""
    import torch
    from transformers import BertConfig, BertModel

    corpus = [
        text
        for articles in xquad.values()
        for article in articles[:6]
        for paragraph in article["paragraphs"]
        for text in [paragraph["context"], *(qa["question"] for qa in paragraph["qas"])]
    ]
    tokenizer = train_wordpiece(corpus, 3000, pairs=True)
    torch.manual_seed(1234)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        # Wider than the default 0.02 so that the vectors depend clearly on the text.
        initializer_range=0.2,
    )
    model = BertModel(config).eval()
    with torch.no_grad():  # LayerNorms off identity, so vector norms vary as in a real model
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.normal_(1.0, 0.3)
                module.bias.normal_(0.0, 0.3)
    tokenizer.save_pretrained(folder)
    model.save_pretrained(folder)
    return folder


def train_wordpiece(corpus: list[str], vocab_size: int, *, pairs: bool = False) -> Any:
    """A lower-casing WordPiece ``BertTokenizerFast`` trained on ``corpus`` (with a template
    for text pairs when ``pairs``)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    raw = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    raw.normalizer = normalizers.BertNormalizer(lowercase=True)
    raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    raw.train_from_iterator(
        corpus,
        WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False),
    )
    cls_id, sep_id = raw.token_to_id("[CLS]"), raw.token_to_id("[SEP]")
    raw.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1" if pairs else None,
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    raw.decoder = decoders.WordPiece()
    return BertTokenizerFast(
        tokenizer_object=raw,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    )
