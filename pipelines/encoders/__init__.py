"""Encoders behind one interface: ``e5-small`` (bundled) and ``hf:<model>``."""

from pipelines.encoders.base import Encoder, EncoderConfig, load_encoder

__all__ = ["Encoder", "EncoderConfig", "load_encoder"]
