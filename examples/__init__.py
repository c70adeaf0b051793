"""The examples that ship with agentrt: weekly sales, incident investigation, ticket triage.

Each is a folder of data files and a README with the goal to submit;
:func:`example_dir` finds one wherever the package is installed.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["EXAMPLES", "example_dir"]

EXAMPLES = ("incident", "triage", "weekly_sales")
"""The example folders."""


def example_dir(name: str) -> Path:
    """The folder of one example, as installed.

    Raises:
        KeyError: No example of that name.
    """
    if name not in EXAMPLES:
        raise KeyError(f"no example {name!r}; there are {list(EXAMPLES)}")
    return Path(str(files(__name__).joinpath(name)))
