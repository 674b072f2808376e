"""Every package the test extra declares is installed and imports (checked when ``CI`` is set).

Peer comparisons skip when their peer is missing, so that a developer without, say, TA-Lib can
still run the rest. In CI a missing or broken peer must not turn those comparisons into silent
skips: this test imports every distribution of the ``test`` extra (and the extras it pulls in)
and fails if one does not import. ``.ci/run`` sets ``CI`` and ``TICKBOOK_REQUIRE_PEERS=1``.
"""

import importlib
import importlib.metadata
import os
import re
import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_test_distributions() -> set[str]:
    """Distribution names of the ``test`` extra, with the tickbook extras it includes."""
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    names: set[str] = set()
    todo, seen = ["test"], set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in extras[extra]:
            name = re.match(r"[A-Za-z0-9_.\-]+", req).group(0)
            if _norm(name) == "tickbook":
                todo += re.search(r"\[(.*)\]", req).group(1).split(",")
            else:
                names.add(_norm(name))
    return names


#: Distributions whose import name is not found from their metadata reliably.
IMPORT_NAME = {"pyportfolioopt": "pypfopt", "ta-lib": "talib", "scikit-learn": "sklearn"}


def _modules_of(dist: str) -> list[str]:
    if dist in IMPORT_NAME:
        return [IMPORT_NAME[dist]]
    mapping = importlib.metadata.packages_distributions()
    found = [m for m, ds in mapping.items() if dist in {_norm(d) for d in ds}]
    plain = dist.replace("-", "")
    return sorted((m for m in found if not m.startswith("_")), key=lambda m: (m != plain, m))


def test_the_test_extra_is_parsed():
    names = declared_test_distributions()
    assert {"nanobook", "ta-lib", "scikit-learn", "optuna"} <= names


REQUIRED = os.environ.get("TICKBOOK_REQUIRE_PEERS") == "1" or bool(os.environ.get("CI"))


@pytest.mark.skipif(not REQUIRED, reason="checked in CI (CI or TICKBOOK_REQUIRE_PEERS=1)")
@pytest.mark.parametrize("dist", sorted(declared_test_distributions()))
def test_every_declared_peer_imports(dist):
    modules = _modules_of(dist)
    assert modules, f"{dist} is declared in the test extra but not installed"
    importlib.import_module(modules[0])
