"""Generated queries: held-out stand-ins and imports (the model-based generator builds on it)."""

from pipelines.generations.heldout import generate_heldout
from pipelines.generations.imports import import_generations, read_generations

__all__ = ["generate_heldout", "import_generations", "read_generations"]
