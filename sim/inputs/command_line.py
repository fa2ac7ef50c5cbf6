"""The ``caseflow`` command line: its options, its settings, and the runs a sweep asks for.

caseflow reads its own command line (Hydra's override grammar for ``key=value``; Hydra's
application runtime is never started), so every option is one it knows:

    caseflow [key=value ...]                one forecast
    caseflow -m key=a,b [key=value ...]     a sweep: one run per combination
    caseflow --cfg job [key=value ...]      print the composed configuration, run nothing
    caseflow --help | --version
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from .errors import InputError, did_you_mean, shown
from .folders import scenario_files, service_files
from .overrides import Setting, parse_setting, sweep_values

MAX_RUNS = 1000  # runs in one sweep
OPTIONS = ("-m", "--multirun", "--cfg", "-c", "--resolve", "--help", "-h", "--version")
KNOWN = "key=value settings, -m (a sweep), --cfg job, --help and --version"
HYDRA_OPTIONS = {
    "--config-path": "caseflow reads configs/ in the working folder if there is one, else its own, and scenarios/ "
                     "likewise",
    "-cp": "", "--config-name": "", "-cn": "", "--config-dir": "", "-cd": "",
    "--hydra-help": "caseflow --help describes caseflow's own options",
    "--info": "caseflow --cfg job prints the composed configuration", "-i": "",
    "--shell-completion": "", "-sc": "", "--experimental-rerun": "", "--package": "", "-p": "",
}


@dataclass
class CommandLine:
    """What ``caseflow`` was asked to do."""

    settings: list[str] = field(default_factory=list)   # key=value, as typed (launcher settings included)
    multirun: bool = False
    show: bool = False                                   # --cfg job
    help: bool = False
    version: bool = False

    def parsed(self) -> list[Setting]:
        return [parse_setting(s) for s in self.settings]

    def n_jobs(self) -> int:
        """Runs of a sweep at once: 1, or ``hydra.launcher.n_jobs`` with the joblib launcher (-1: every core)."""
        import os

        parsed = self.parsed()
        launcher = next((str(s.override.value()) for s in parsed if s.kind == "launcher"), "basic")
        n = next((int(s.override.value()) for s in parsed if s.kind == "n_jobs"), None)
        if launcher != "joblib":
            if n is not None:
                raise InputError("Config key 'hydra.launcher.n_jobs' is used only with hydra/launcher=joblib")
            return 1
        if n is None or n == -1:
            return os.cpu_count() or 1
        return n


def read(argv: list[str]) -> CommandLine:
    """Read ``caseflow``'s arguments (``InputError`` for an option it does not know)."""
    cmd = CommandLine()
    args = iter(argv)
    for a in args:
        if not a.startswith("-"):
            cmd.settings.append(a)
            continue
        name, eq, value = a.partition("=")
        if eq and name in ("-m", "--multirun", "--resolve", "--help", "-h", "--version"):
            raise InputError(f"The option {name} takes no value (write {name} alone)")
        if name in ("-m", "--multirun") and not eq:
            cmd.multirun = True
        elif name in ("--cfg", "-c"):
            value = value if eq else next(args, "")
            if value != "job":
                raise InputError(f"The option {name} takes 'job' (caseflow --cfg job prints the composed "
                                 f"configuration), not '{shown(value)}'")
            cmd.show = True
        elif name == "--resolve" and not eq:
            pass  # --cfg job always prints resolved values
        elif name in ("--help", "-h") and not eq:
            cmd.help = True
        elif name == "--version" and not eq:
            cmd.version = True
        elif name in HYDRA_OPTIONS:
            why = HYDRA_OPTIONS[name] or "caseflow takes " + KNOWN
            raise InputError(f"The option {name} is not supported: {why}")
        else:
            raise InputError(f"The option {shown(name)} is not known{did_you_mean(name, OPTIONS)}: caseflow takes "
                             f"{KNOWN} (see caseflow --help)")
    return cmd


def checking_order(lengths: list[int]) -> list[int]:
    """The order in which to check a sweep's runs (positions in ``itertools.product`` order):
    first a diagonal through every value of every swept setting, then the rest, so that a bad
    value is found after at most as many runs as the longest list, not after the whole product."""
    total = math.prod(lengths)

    def position(digits: list[int]) -> int:
        k = 0
        for d, n in zip(digits, lengths):
            k = k * n + d
        return k

    first = dict.fromkeys(position([i % n for n in lengths]) for i in range(max(lengths, default=1)))
    return [*first, *(k for k in range(total) if k not in first)]


def runs(cmd: CommandLine) -> list[list[str]]:
    """Every run the command line describes: each a list of ``key=value`` settings.

    Without ``-m`` that is one run, and a setting with several values is refused; with ``-m``
    it is every combination of the swept values (at most ``MAX_RUNS``), in the order given.
    """
    return [list(combo) for combo in itertools.product(*options(cmd))]


def options(cmd: CommandLine) -> list[list[str]]:
    """Each setting's values, as ``key=value`` texts (one for a plain setting)."""
    parsed = [s for s in cmd.parsed() if s.kind in ("key", "group")]
    sweeps = [s for s in parsed if s.is_sweep]
    if sweeps and not cmd.multirun:
        s = sweeps[0]
        raise InputError(f"Config key '{s.key}' has several values ({shown(s.typed)}): add -m to run each of them "
                         "(a sweep)")
    names = {"scenario": scenario_files(), "service": service_files()}
    options: list[list[str]] = []
    for s in parsed:
        if s.is_sweep:
            options.append(sweep_values(s, names.get(s.key), MAX_RUNS))
        else:
            options.append([s.text])
    total = math.prod(len(o) for o in options)
    if total > MAX_RUNS:
        raise InputError(f"The sweep asks for {total:,} runs but may have at most {MAX_RUNS:,}")
    return options
