"""Training steps: contrastive fine-tuning of an encoder (Tevatron-style xDR) and of a generator.

:mod:`pipelines.training.config` holds the hyper-parameters, :mod:`pipelines.training.data`
the (query, positive passage) pairs, the generator examples and the dev split,
:mod:`pipelines.training.negatives` hard-negative mining from a stored index,
:mod:`pipelines.training.model` pooling and the loss, :mod:`pipelines.training.checkpoint`
safe checkpoints, :mod:`pipelines.training.folders` the output and model folders,
:mod:`pipelines.training.trainer` the loop both tasks share (schedule, steps, checkpoints,
resume), :mod:`pipelines.training.loop` and :mod:`pipelines.training.generator_loop` the
encoder and generator tasks on it, :mod:`pipelines.training.dev` the encoder's dev
evaluation, :mod:`pipelines.training.encoder` the encoder ``train`` step and
:mod:`pipelines.training.generator` the generator one.
"""

from pipelines.training.config import EncoderTraining, GeneratorTraining
from pipelines.training.encoder import train_encoder
from pipelines.training.generator import train_generator

__all__ = ["EncoderTraining", "GeneratorTraining", "train_encoder", "train_generator"]
