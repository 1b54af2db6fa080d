"""Pins: the course's constraints.txt, and the pinned closure of a set of packages.

    read_constraints(path, where)              {name: (name as written, version)}
    pinned_requirements(packages, pins, where) 'name==version' lines of the packages and
                                               everything they depend on, sorted

Used by the release (a student environment's requirements.txt) and by the
Gradescope bundle (what the grading image installs), so both pin the same way.
Dependencies are read from the metadata of the packages installed here, which
must be the versions constraints.txt pins (checked), and markers are evaluated
for the grader's platform (TARGET), so the result is the same on every machine.
"""
from importlib import metadata

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .errors import CourseError

# The grader runs CPython 3.11 on Linux x86-64: the pins are resolved for it.
TARGET = {"implementation_name": "cpython", "platform_python_implementation": "CPython",
          "python_version": "3.11", "python_full_version": "3.11.0", "os_name": "posix",
          "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}

def read_constraints(path, where):
    """{canonical name: (name as written, version)} from a pip-freeze style file."""
    pins = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise CourseError(f"{where}, line {number}: {line!r} is not a 'name==version' pin")
        pins[canonicalize_name(name.strip())] = (name.strip(), version.strip())
    return pins


def dependency_closure(packages, requires):
    """Canonical names of `packages` and everything they require on TARGET, extras followed.

    `requires(name)` -> the Requires-Dist strings of installed package `name`.
    """
    wanted = {canonicalize_name(p): set() for p in packages}   # name -> extras asked for
    done = set()                                               # (name, extra) already expanded
    todo = [(name, "") for name in wanted]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in done:
            continue
        done.add((name, extra))
        for text in requires(name):
            requirement = Requirement(text)
            if requirement.marker is not None and not _applies(requirement.marker, extra):
                continue
            if requirement.marker is None and extra:
                continue  # an unconditional requirement was followed with extra ""
            dependency = canonicalize_name(requirement.name)
            wanted.setdefault(dependency, set()).update(requirement.extras)
            todo += [(dependency, "")] + [(dependency, e) for e in sorted(requirement.extras)]
    return sorted(wanted)


def _applies(marker: Marker, extra):
    """Is a requirement with `marker` part of the package installed with `extra` ("" for none)?

    A requirement conditioned on an extra is only followed for that extra;
    one without belongs to the plain package (and is followed once, for "").
    """
    names_extra = "extra" in str(marker)
    if names_extra != bool(extra):
        return False
    return marker.evaluate({**TARGET, "extra": extra})


def installed_requires(name):
    """Requires-Dist of the installed distribution `name`."""
    return metadata.distribution(name).requires or []


def pinned_requirements(packages, pins, where, requires=installed_requires, installed_version=None):
    """'name==version' lines of `packages` and their dependencies, sorted by name.

    Every package in the closure must be pinned in `pins` and installed at that
    version: the dependencies are read from the installed package's metadata.
    """
    installed_version = installed_version or (lambda name: metadata.version(name))
    for package in packages:
        if canonicalize_name(package) not in pins:
            raise CourseError(f"student package {package!r} is not pinned in {where}")

    def checked_requires(name):
        if name not in pins:
            raise CourseError(f"{name} (a dependency of the student packages) is not pinned in {where}")
        try:
            version = installed_version(name)
        except metadata.PackageNotFoundError:
            raise CourseError(f"{name} is pinned in {where} but not installed here; its dependencies "
                               "cannot be read (run `make venv`)") from None
        if version != pins[name][1]:
            raise CourseError(f"{name} {version} is installed but {where} pins {pins[name][1]}; "
                               "the student pins would not be the grader's (run `make venv`)")
        return requires(name)

    closure = dependency_closure(packages, checked_requires)
    return [f"{pins[name][0]}=={pins[name][1]}" for name in closure]
