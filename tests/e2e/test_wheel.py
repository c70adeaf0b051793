"""The built wheel, installed in a clean venv outside the repository next to PyPI's ``supervisor``, runs the demo.

The wheel and ``supervisor`` are installed into the new venv; agentrt's dependencies
(Ray, FAISS, ...) are not downloaded again but reached through a path entry to the
suite's own environment, which comes after the venv's own packages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
GOAL = "Prepare the weekly sales summary and draft the mail to the team"


@pytest.fixture(scope="module")
def installed() -> Iterator[tuple[Path, dict[str, str]]]:
    work = Path(tempfile.mkdtemp(prefix="agentrt-wheel-"))
    try:
        dist = work / "dist"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(REPO)],
                       check=True, capture_output=True, timeout=600)
        wheel = next(dist.glob("agentrt-*.whl"))
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", str(wheel)], check=True, capture_output=True, timeout=600)
        subprocess.run([*pip, "supervisor"], check=True, capture_output=True, timeout=600)
        site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; "
                                    "print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip())
        (site / "zz_agentrt_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        env = {k: v for k, v in os.environ.items()
               if k not in ("RAY_ADDRESS", "PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("RAY_AUTH")}
        env |= {"AGENTRT_DATA_DIR": str(work / "data"), "AGENTRT_NAMESPACE": "wheel-test", "HOME": str(work / "home"),
                "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"}
        yield work, env
    finally:
        subprocess.run([str(work / "venv" / "bin" / "agentrt"), "stop"], env=env, cwd=work, capture_output=True,
                       timeout=300, check=False)
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), env=env, cwd=work / "elsewhere", capture_output=True, text=True, timeout=600,
                          check=False)


def test_agentrt_and_pypi_supervisor_live_side_by_side(installed: tuple[Path, dict[str, str]]) -> None:
    work, env = installed
    python = str(work / "venv" / "bin" / "python")
    probe = _run(work, env, python, "-c", "import agentrt, agentrt.supervisor, supervisor.supervisord, "
                 "agentrt.examples as ex; print(agentrt.__file__); print(supervisor.__file__); "
                 "print(sorted(p.name for p in ex.example_dir('weekly_sales').iterdir())); "
                 "import importlib.resources as r; print(r.files('agentrt').joinpath('py.typed').is_file())")
    assert probe.returncode == 0, probe.stderr
    agentrt_file, supervisor_file, files, typed = probe.stdout.splitlines()
    venv = str(work / "venv")
    assert agentrt_file.startswith(venv) and "site-packages/agentrt/" in agentrt_file
    assert supervisor_file.startswith(venv) and "site-packages/supervisor/" in supervisor_file
    assert "sales.csv" in files and "metrics.md" in files and typed == "True"


def test_demo_and_run_from_an_unrelated_folder(installed: tuple[Path, dict[str, str]]) -> None:
    work, env = installed
    version = _run(work, env, "agentrt", "--version")
    assert version.returncode == 0 and version.stdout.startswith("agentrt ")
    started = _run(work, env, "agentrt", "start")
    assert started.returncode == 0, started.stderr + started.stdout
    demo = _run(work, env, "agentrt", "demo")
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "verified by QA" in demo.stdout
    counted = re.search(r"Cross-check against sales.csv: (\d+)/(\d+) revenue figures", demo.stdout)
    assert counted is not None and counted.group(1) == counted.group(2) != "0", demo.stdout[-2000:]
    for name in ("sales.csv", "metrics.md"):
        shutil.copy(REPO / "examples" / "weekly_sales" / name, work / "elsewhere" / name)
    ran = _run(work, env, "agentrt", "run", GOAL, "--data", "sales.csv", "--data", "metrics.md", "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert '"status": "done"' in ran.stdout
