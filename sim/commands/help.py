"""``caseflow --help``: the command's forms, the scenarios and services there are, where to read more."""
from __future__ import annotations

from .. import __version__
from ..inputs.errors import listing
from ..inputs.folders import scenario_files, service_files

USAGE = """caseflow {version}: forecast how long children wait at a children's social care front door.

usage:
  caseflow [key=value ...]                 one forecast, e.g. caseflow scenario=baseline_2022 replications=20 seed=7
  caseflow -m key=a,b [key=value ...]      a sweep: one forecast per combination ('seed=range(1,5)', 'scenario=glob(*)')
  caseflow -m hydra/launcher=joblib hydra.launcher.n_jobs=N key=a,b ...   the same, N forecasts at a time
  caseflow compare A B [C ...] [key=value ...]   scenarios side by side (caseflow compare --help)
  caseflow validate year=Y [key=value ...]  the service against the DfE's published figures (caseflow validate --help)
  caseflow explain FOLDER kpi=KEY period=P  the children behind a figure of a finished run (caseflow explain --help)
  caseflow target team=T kind=K kpi=KEY at_least=X|at_most=X [key=value ...]   posts needed for a target
  caseflow report FOLDER                   rebuild a finished folder's workbook, charts and HTML report
  caseflow start_from=FOLDER [key=value ...]   a forecast from the council's own records (an SSD extract) on their day
  caseflow calibrate la=CODE|NAME year=Y   a service file for any English council from the DfE's tables
  caseflow calibrate extract=FOLDER [out=NAME]   a service file fitted to the council's own records
  caseflow backtest la=CODE|NAME|all from_year=Y0 to_year=Y1   calibrated on Y0, scored on the years after (caseflow backtest --help)
  caseflow backtest extract=FOLDER cutoff=DATE   fitted to the records before DATE, scored on the months after
  caseflow synth-extract out=FOLDER [contacts_per_year=N] [years=6]   a fictional council's SSD extract
  caseflow --cfg job [key=value ...]       print the configuration a run would use, run nothing
  caseflow --version

scenarios: {scenarios}
services:  {services}

Settings are the keys of docs/configuration.md (e.g. horizon_months=24, service.demand.contacts_per_year=18000).
Outputs go to <results_dir>/<scenario>/<timestamp>/ (docs/outputs.md): tables, workbook.xlsx, charts/ and
report.html (report=false: tables only). Ctrl-C keeps finished replications: run the same command again to resume."""


def text() -> str:
    return USAGE.format(version=__version__, scenarios=listing(scenario_files(), 40) or "none",
                        services=listing(service_files(), 40) or "none")
