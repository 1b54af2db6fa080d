"""Create this assignment's Python environment with one command.

    python3 setup_env.py               the environment in .venv/ in this folder
    python3 setup_env.py --venv DIR    the environment in DIR

It makes a virtual environment, installs requirements.txt into it (exactly the
package versions the grader uses) and writes the environment's Jupyter
settings. Run it again at any time: it only installs what is missing. Then
start JupyterLab in this folder:

    .venv/bin/jupyter lab              (Windows: .venv\\Scripts\\jupyter lab)
    .venv/bin/jupyter lab --allow-root (as root, e.g. in a container)

It needs Python 3.11 (the grader's version) or newer, and pip's package index.
"""
import argparse
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
MINIMUM_PYTHON = (3, 11)

# JupyterLab settings of the environment (overrides of its defaults): no
# pop-up asking about Jupyter news and no update check. Neither concerns the
# course, and the versions are the grader's on purpose.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


class _Builder(venv.EnvBuilder):
    """venv's builder, remembering where the new environment's python is."""

    def post_setup(self, context):
        self.python = Path(context.env_exe)


def create_environment(folder):
    """Make the virtual environment in `folder`, or reuse the one there; returns its python."""
    folder = Path(folder)
    existing = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if (folder / "pyvenv.cfg").is_file() and existing.exists():
        return existing  # recreating it would fail while Jupyter runs from it
    builder = _Builder(with_pip=True, symlinks=os.name != "nt")  # as `python -m venv` does
    builder.create(str(folder))
    return builder.python


def install_requirements(python, requirements):
    """pip install -r requirements; raises SystemExit with pip's status on failure."""
    done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                           "-r", str(requirements)])
    if done.returncode != 0:
        raise SystemExit(f"pip could not install {requirements.name} (exit status {done.returncode}); "
                         "see its messages above. Nothing else was changed.")


def write_jupyter_config(folder):
    """JupyterLab's settings overrides inside the environment; returns the file's path."""
    path = Path(folder) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(LAB_SETTINGS, indent=2) + "\n", encoding="utf-8")
    return path


def start_command(folder):
    """The command that starts JupyterLab with the new environment, as typed in this folder."""
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    folder = Path(folder).resolve()
    try:
        folder = folder.relative_to(HERE)
    except ValueError:
        pass
    return str(folder / scripts / "jupyter") + " lab"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="setup_env.py", description="Create this assignment's Python environment (the grader's "
        "package versions) and its Jupyter settings.")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv",
                        help="where to create the environment (default: .venv in this folder)")
    args = parser.parse_args(argv)
    if sys.version_info < MINIMUM_PYTHON:
        parser.exit(1, f"setup_env.py needs Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer; this is "
                       f"{sys.version.split()[0]}. Run it with a newer python3.\n")
    requirements = HERE / "requirements.txt"
    print(f"Creating the environment in {args.venv} ...", flush=True)
    python = create_environment(args.venv)
    install_requirements(python, requirements)
    config = write_jupyter_config(args.venv)
    print(f"\nDone: the environment is in {args.venv}, its Jupyter settings in {config}.")
    print(f"Start JupyterLab in {HERE} with\n\n    {start_command(args.venv)}\n")
    print("and add --allow-root if you are root (in a container, for example).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
