"""The low-level Numba code of the book, fenced off behind a small interface.

* ``new_state`` / ``view``: the book's arrays bundled in one ``StructRef`` argument, and the
  uncounted handle kernels pass to their helpers; ``STATE_FIELDS`` / ``state_from_fields``:
  the arrays by name and a state on given arrays, for copies and pickles (``_state.py``);
* ``submit_answer`` / ``cancel_answer``: kernel answers boxed straight into ``SubmitResult``
  and ``CancelResult`` objects (``_answers.py``);
* ``entry`` / ``entry_points`` / ``fast_kernel``: kernels that declare their argument types,
  and the fast doors Python calls them through (``_doors.py``).

Everything here touches Numba internals (StructRef models, meminfo, LLVM symbols); the rest
of the book is plain Numba over arrays.
"""

from tickbook.book._jit._answers import cancel_answer, submit_answer
from tickbook.book._jit._doors import (
    COMMANDS,
    GRID,
    INT,
    entry,
    entry_points,
    fast,
    fast_kernel,
)
from tickbook.book._jit._state import (
    MEMINFO_OFFSET,
    STATE_FIELDS,
    new_state,
    state_from_fields,
    view,
)

__all__ = [
    "COMMANDS",
    "GRID",
    "INT",
    "MEMINFO_OFFSET",
    "STATE_FIELDS",
    "cancel_answer",
    "entry",
    "entry_points",
    "fast",
    "fast_kernel",
    "new_state",
    "state_from_fields",
    "submit_answer",
    "view",
]
