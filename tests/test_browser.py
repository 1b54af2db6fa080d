"""The student's path in a real browser: JupyterLab from the release, as the README sets it up.

    make test-browser          (.ci/run runs it after make test)

For each notebook in NOTEBOOKS (one line per notebook; later assignments add
theirs), on a temporary copy of the committed release:

* the environment is created exactly as the release README says
  (`python3 setup_env.py`: a fresh venv, pip from the package index) and
  CIFAR-10 is put in the release's datasets/ by its own get_datasets.py
  (from CS231N_MIRROR when set, else linked from CS231N_DATA_DIR);
* JupyterLab runs from that environment on 127.0.0.1 with a token, and
  headless Chromium (Debian's chromium and chromium-driver, driven by
  Selenium; nothing is downloaded at run time) opens the notebook;
* blank: Run All Cells stops at the first student error, which must name
  the function to write; a plot has rendered; each solution cell run alone
  raises NotImplementedError with the message its stub names; the Kernel
  menu has the entry make_submission.py tells students to use;
* solved (the reference modules and the source notebook's solution cells):
  the notebook runs to the end without an error, with its plots and the
  reference run's final output; saved, make_submission.py zips it with no
  warning about it;
* always: nothing from nbgrader on screen (its student panels, Validate and
  exchange errors are findings of issue 14) and no pop-up.

Screenshots and the Jupyter server logs land in build/test-browser/.
Without chromium and chromedriver the tests skip, unless
CS231N_REQUIRE_BROWSER=1 (make test-browser sets it), when they fail.
"""
import ast
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from release.ignore import copy_shipped, parse_ignore

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "build" / "test-browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
STARTUP_S = 120          # JupyterLab up, notebook open, kernel idle
RUN_S = 900              # one Run All (the solved kNN notebook takes about a minute)


@dataclass(frozen=True)
class NotebookCase:
    """One notebook of one assignment, as the browser test runs it."""

    assignment: str
    notebook: str
    first_error: str               # what the first error of the blank release must name
    solved_modules: tuple          # reference modules (relative to source/) that solve it
    datasets: tuple = ("cifar10",)
    same_last_output: bool = True  # the solved run's last cell prints what the reference run printed

    def __str__(self):
        return f"{self.assignment}/{self.notebook}"


NOTEBOOKS = [
    NotebookCase("assignment1", "knn.ipynb", "compute_distances_two_loops",
                 ("cs231n/classifiers/k_nearest_neighbor.py",)),
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def browser_tools():
    missing = [name for name, path in [("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)] if not path]
    if missing:
        reason = (f"{' and '.join(missing)} not installed (Debian: apt-get install chromium chromium-driver; "
                  "`make system-deps` does it as root)")
        if os.environ.get("CS231N_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("selenium is not installed in the course environment (requirements.txt pins it)")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture(scope="session")
def out_dir():
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    return OUT


# ---------------------------------------------------------------- the student's folder

def release_copy(assignment, destination):
    """The committed release as git would ship it (its .gitignore applied), at destination/<assignment>."""
    release = REPO / "assignments" / assignment
    gitignore = release / ".gitignore"
    patterns = parse_ignore(gitignore.read_text(encoding="utf-8"), str(gitignore)) if gitignore.is_file() else []
    return copy_shipped(release, Path(destination) / assignment, patterns)


def student_env_vars(home):
    """A student's shell: no repository on PYTHONPATH, no course variables, a home of its own."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    for name, value in os.environ.items():  # how this machine reaches the package index
        if name.startswith("PIP_") or name.lower() in ("http_proxy", "https_proxy", "no_proxy") \
                or name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"):
            env[name] = value
    return env


def run_logged(command, cwd, env, log, timeout):
    """Run `command`; its output goes to `log`; fails the test with the log's end on a non-zero exit."""
    with open(log, "w") as handle:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                              timeout=timeout)
    if done.returncode != 0:
        tail = "\n".join(Path(log).read_text().splitlines()[-30:])
        pytest.fail(f"{' '.join(map(str, command))} exited with {done.returncode} in {cwd}:\n{tail}")


def provide_datasets(folder, python, names, env, log):
    """The datasets in folder/datasets: the release's get_datasets.py from CS231N_MIRROR, else links."""
    mirror = os.environ.get("CS231N_MIRROR")
    if mirror:
        run_logged([python, "get_datasets.py", *names, "--no-progress"], folder,
                   {**env, "CS231N_MIRROR": mirror}, log, timeout=900)
        return
    from data.fetch import DATASETS

    data_dir = Path(os.environ.get("CS231N_DATA_DIR", REPO / "data" / "datasets"))
    for name in names:
        target = DATASETS[name].target
        if not (data_dir / target).exists():
            pytest.fail(f"{name} is neither in {data_dir} nor reachable: run `make data`, or set CS231N_MIRROR")
        (folder / "datasets").mkdir(exist_ok=True)
        (folder / "datasets" / target).symlink_to(data_dir / target)


@dataclass
class StudentFolder:
    folder: Path       # the assignment folder
    venv: Path         # the environment setup_env.py made
    home: Path
    env: dict


_made = {}


@pytest.fixture(scope="session")
def student_setup(tmp_path_factory, out_dir):
    """make(assignment, datasets) -> the blank StudentFolder, set up once per assignment."""

    def make(assignment, datasets):
        if assignment not in _made:
            root = tmp_path_factory.mktemp(f"{assignment}-student")
            folder = release_copy(assignment, root)
            home = root / "home"
            home.mkdir()
            env = student_env_vars(home)
            # The README's command, with the pip cache of this machine (fast after the first run).
            setup_env = {**env, "HOME": os.environ.get("HOME", str(home))}
            start = time.perf_counter()
            run_logged([sys.executable, "setup_env.py"], folder, setup_env,
                       out_dir / f"{assignment}-setup_env.log", timeout=1800)
            print(f"\n{assignment}: setup_env.py took {time.perf_counter() - start:.0f} s")
            venv = folder / ".venv"
            provide_datasets(folder, str(venv / "bin" / "python"), datasets, env,
                             out_dir / f"{assignment}-get_datasets.log")
            _made[assignment] = StudentFolder(folder, venv, home, env)
        return _made[assignment]

    return make


def solved_copy(student, case, destination):
    """A second copy of the release with the case's reference modules and solved notebook."""
    folder = release_copy(case.assignment, destination)
    for module in case.solved_modules:
        shutil.copyfile(REPO / "source" / module, folder / module)
    notebook = nbformat.read(REPO / "source" / case.assignment / case.notebook, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(notebook, folder / case.notebook)
    for entry in (student.folder / "datasets").iterdir():
        (folder / "datasets").mkdir(exist_ok=True)
        (folder / "datasets" / entry.name).symlink_to(entry.resolve())
    return folder


# ---------------------------------------------------------------- JupyterLab and the browser

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def jupyter_lab(student, folder, log):
    """JupyterLab as the README starts it (plus loopback, port and token); yields (url, token)."""
    port, token = free_port(), secrets.token_hex(16)
    command = [str(student.venv / "bin" / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # as the README tells root users
    handle = open(log, "w")
    server = subprocess.Popen(command, cwd=folder, env=student.env, stdout=handle, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                handle.flush()
                pytest.fail(f"JupyterLab did not start; the end of {log}:\n" +
                            "\n".join(Path(log).read_text().splitlines()[-20:]))
            time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        handle.close()


@contextmanager
def chromium(tools):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = tools
    os.environ["SE_OFFLINE"] = "true"  # Selenium must never fetch a browser or a driver
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    # As root on a closed network: no sandbox, no GPU, no calls home, a fresh profile.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# What the page shows, read from the DOM. textContent, not innerText:
# JupyterLab skips rendering cells outside the viewport (content-visibility).
NOTEBOOK_STATE = """
const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')];
const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
return {
  status: indicator ? indicator.getAttribute('data-status') : null,
  cells: cells.map(cell => ({
    code: cell.classList.contains('jp-CodeCell'),
    prompt: (cell.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent.trim(),
    errors: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => e.textContent).filter(t => t.includes('Traceback')),
    stdout: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]')]
      .map(e => e.textContent).join(''),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')].map(i => i.complete && i.naturalWidth > 0),
  })),
};
"""

# Anything of nbgrader's anywhere on the page, and every pop-up, dialog and error text.
SCREEN_PROBLEMS = """
const nbgrader = [...document.querySelectorAll('[id*="nbgrader" i], [class*="nbgrader" i], ' +
    '[title*="nbgrader" i], [data-id*="nbgrader" i]')].map(e => e.outerHTML.slice(0, 120));
const menus = [...document.querySelectorAll('.lm-MenuBar-item')].map(e => e.textContent.trim());
const text = document.body.textContent;
return {
  nbgrader: nbgrader.concat(menus.filter(m => /nbgrader/i.test(m)).map(m => 'menu ' + m),
    ['Error fetching courses', 'exchange directory', 'nbgrader'].filter(s => text.toLowerCase().includes(s.toLowerCase()))),
  validate: [...document.querySelectorAll('.jp-NotebookPanel-toolbar')].map(e => e.textContent)
    .filter(t => /validate/i.test(t)),
  popups: [...document.querySelectorAll('.Toastify__toast, .jp-Notification-Toast')].map(e => e.textContent.trim()),
  dialogs: [...document.querySelectorAll('.jp-Dialog')].map(e => e.textContent.trim().slice(0, 200)),
};
"""


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def notebook_state(driver):
    return driver.execute_script(NOTEBOOK_STATE)


def open_notebook(driver, url, token, notebook, cells):
    """Open the notebook and wait until all its cells are on the page and the kernel is idle."""
    driver.get(f"{url}/lab/tree/{notebook}?token={token}&reset")

    def ready():
        state = notebook_state(driver)
        return state["status"] == "idle" and len(state["cells"]) == cells and state

    return wait_for(f"{notebook} to open with {cells} cells and an idle kernel", ready, STARTUP_S)


def click_menu(driver, menu, item=None):
    """Open a menu of the menu bar; click `item` in it, or return its labels and close it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    bar = [e for e in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text.strip() == menu]
    assert bar, f"no {menu} menu in JupyterLab's menu bar"
    bar[0].click()
    entries = wait_for(f"the {menu} menu", lambda: driver.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-item"), 10)
    labels = [e.text.strip() for e in entries if e.text.strip()]
    if item is None:
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        return labels
    match = [e for e in entries if e.text.strip() == item]
    assert match, f"no {item!r} in the {menu} menu (it has {labels})"
    match[0].click()
    return labels


def run_all(driver, stop_at_error):
    """Run > Run All Cells; wait until it has stopped at an error or executed every code cell."""
    click_menu(driver, "Run", "Run All Cells")

    def finished():
        state = notebook_state(driver)
        code = [c for c in state["cells"] if c["code"]]
        if any(c["prompt"] == "[*]:" for c in code) or state["status"] != "idle":
            return None
        errors = any(c["errors"] for c in code)
        if errors or (not stop_at_error and all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in code)):
            return state
        return None

    start = time.perf_counter()
    state = wait_for("Run All Cells to finish", finished, RUN_S)
    return state, time.perf_counter() - start


def screenshot(driver, path, cell=None):
    """Save the page, scrolled to cell number `cell` when given."""
    if cell is not None:
        driver.execute_script("document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')"
                              "[arguments[0]].scrollIntoView({block: 'center'})", cell)
        time.sleep(1)
    driver.save_screenshot(str(path))


def assert_screen_is_clean(driver, when):
    problems = driver.execute_script(SCREEN_PROBLEMS)
    assert problems["nbgrader"] == [], f"{when}: nbgrader is on the screen: {problems['nbgrader']}"
    assert problems["validate"] == [], f"{when}: a Validate button is in the notebook toolbar"
    assert problems["popups"] == [], f"{when}: pop-ups on the screen: {problems['popups']}"
    assert problems["dialogs"] == [], f"{when}: dialogs on the screen: {problems['dialogs']}"


def save_notebook(driver, path, code_cells):
    """Save with Ctrl+S and wait until the file on disk holds the run (every code cell executed)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()

    def saved():
        try:
            notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        except ValueError:
            return False
        counts = [c.get("execution_count") for c in notebook["cells"] if c["cell_type"] == "code"]
        return len(counts) == code_cells and all(counts)

    wait_for(f"{Path(path).name} to be saved with its outputs", saved, 60)


def run_cell_alone(driver, index):
    """Select cell `index`, run it with Ctrl+Enter, wait for it to finish; returns its state."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    before = notebook_state(driver)["cells"][index]["prompt"]
    prompt = driver.execute_script(
        "const c = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[arguments[0]];"
        "c.scrollIntoView({block: 'center'}); return c.querySelector('.jp-InputPrompt');", index)
    prompt.click()
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()

    def done():
        cell = notebook_state(driver)["cells"][index]
        return cell["prompt"] not in (before, "[*]:") and re.fullmatch(r"\[\d+\]:", cell["prompt"]) and cell

    return wait_for(f"cell {index} to run", done, RUN_S)


# ---------------------------------------------------------------- what the release says

def stub_messages(notebook_path):
    """{cell index: message of the first NotImplementedError it raises} for the solution cells."""
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    messages = {}
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        source = "".join(cell["source"])
        found = re.search(r"raise NotImplementedError\((.*)\)\s*$", source, re.M)
        assert found, f"solution cell {index} of {Path(notebook_path).name} raises no NotImplementedError"
        messages[index] = ast.literal_eval(found.group(1)) if found.group(1) else ""
    return messages


def menu_paths(tool):
    """('Kernel', 'Restart Kernel and Run All Cells') for each 'Kernel > ...' a student tool prints."""
    text = Path(tool).read_text(encoding="utf-8")
    return sorted(set(re.findall(r"\b(File|Edit|View|Run|Kernel) > ([A-Z][^\"'()\n]*?)\s*(?=[\"')\n]|$)", text)))


def last_stdout(notebook):
    """What the notebook's last code cell printed (a saved notebook may split text into lines)."""
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    return "".join("".join(o["text"]) for o in code[-1].get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def image_outputs(notebook):
    return sum(1 for c in notebook["cells"] if c["cell_type"] == "code"
               for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize("case", NOTEBOOKS, ids=str)
def test_blank_notebook_stops_at_the_first_student_error(case, browser_tools, student_setup, out_dir):
    student = student_setup(case.assignment, case.datasets)
    shots = out_dir / case.assignment
    shots.mkdir(exist_ok=True)
    stem = Path(case.notebook).stem
    released = json.loads((student.folder / case.notebook).read_text(encoding="utf-8"))
    with jupyter_lab(student, student.folder, shots / f"{stem}-blank-jupyter.log") as (url, token), \
            chromium(browser_tools) as driver:
        open_notebook(driver, url, token, case.notebook, len(released["cells"]))
        screenshot(driver, shots / f"{stem}-blank-opened.png")
        assert_screen_is_clean(driver, "the notebook just opened")

        state, seconds = run_all(driver, stop_at_error=True)
        print(f"\n{case}: Run All Cells stopped at the first error after {seconds:.0f} s")
        first = next(i for i, c in enumerate(state["cells"]) if c["errors"])
        screenshot(driver, shots / f"{stem}-blank-first-error.png", first)
        error = state["cells"][first]["errors"][0]
        last_line = error.strip().splitlines()[-1]
        assert last_line.startswith("NotImplementedError:") and case.first_error in last_line, \
            f"the first error (cell {first}) should be the stub of {case.first_error}; it ends:\n{error[-600:]}"
        assert any(all(c["images"]) and c["images"] for c in state["cells"][:first]), \
            "no plot rendered before the first error"
        assert_screen_is_clean(driver, "after Run All Cells")

        for index, message in stub_messages(student.folder / case.notebook).items():
            cell = run_cell_alone(driver, index)
            assert cell["errors"], f"solution cell {index} ran alone without the error of its stub"
            shown = cell["errors"][0].strip().splitlines()[-1]
            assert message, f"solution cell {index} raises NotImplementedError without a message"
            assert shown == f"NotImplementedError: {message}", \
                f"solution cell {index}: the student sees {shown!r}, the stub says {message!r}"
        screenshot(driver, shots / f"{stem}-blank-cell-stub.png", max(stub_messages(student.folder / case.notebook),
                                                                      default=None))

        labels = {menu: [label.rstrip("…").rstrip(".") for label in click_menu(driver, menu)]
                  for menu in {menu for menu, _ in menu_paths(student.folder / "make_submission.py")}}
        for menu, entry in menu_paths(student.folder / "make_submission.py"):
            assert entry in labels[menu], \
                f"make_submission.py tells students '{menu} > {entry}'; JupyterLab's {menu} menu has {labels[menu]}"
        assert_screen_is_clean(driver, "at the end")


@pytest.mark.parametrize("case", NOTEBOOKS, ids=str)
def test_solved_notebook_runs_to_the_end(case, browser_tools, student_setup, out_dir, tmp_path):
    student = student_setup(case.assignment, case.datasets)
    shots = out_dir / case.assignment
    shots.mkdir(exist_ok=True)
    stem = Path(case.notebook).stem
    folder = solved_copy(student, case, tmp_path)
    reference = json.loads((REPO / "source" / case.assignment / case.notebook).read_text(encoding="utf-8"))
    code_cells = sum(1 for c in reference["cells"] if c["cell_type"] == "code")
    with jupyter_lab(student, folder, shots / f"{stem}-solved-jupyter.log") as (url, token), \
            chromium(browser_tools) as driver:
        open_notebook(driver, url, token, case.notebook, len(reference["cells"]))
        state, seconds = run_all(driver, stop_at_error=False)
        print(f"\n{case}: the solved notebook ran top to bottom in {seconds:.0f} s")
        screenshot(driver, shots / f"{stem}-solved-end.png", len(state["cells"]) - 1)
        errors = [(i, c["errors"][0][-400:]) for i, c in enumerate(state["cells"]) if c["errors"]]
        assert errors == [], f"the solved notebook raised: {errors}"
        images = [ok for c in state["cells"] for ok in c["images"]]
        assert len(images) == image_outputs(reference) and all(images), \
            f"{sum(images)} of {len(images)} plots rendered; the reference run made {image_outputs(reference)}"
        if case.same_last_output:
            shown = [c for c in state["cells"] if c["code"]][-1]["stdout"]
            assert shown == last_stdout(reference), \
                f"the last cell printed {shown!r}; the reference run printed {last_stdout(reference)!r}"
        assert_screen_is_clean(driver, "after the solved run")
        save_notebook(driver, folder / case.notebook, code_cells)

    done = subprocess.run([str(student.venv / "bin" / "python"), "make_submission.py"], cwd=folder,
                          env=student.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"WARNING: {case.notebook}" not in done.stdout, done.stdout
    with zipfile.ZipFile(folder / f"{case.assignment}_submission.zip") as archive:
        names = archive.namelist()
        submitted = json.loads(archive.read(case.notebook))
    assert case.notebook in names and all(m in names for m in case.solved_modules), names
    counts = [c["execution_count"] for c in submitted["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"the zipped notebook's execution counts: {counts}"
