"""The model description of a report, item by item of the STRESS-DES checklist.

STRESS-DES (Monks et al., 2019, "Strengthening the reporting of empirical simulation studies:
introducing the STRESS guidelines", Journal of Simulation 13(1)) asks a discrete-event
simulation study to report six things: 1 objectives, 2 logic, 3 data, 4 experimentation,
5 implementation and 6 code access.  :func:`model_description` writes them for one run from
what its folder holds: the resolved configuration (``config.yaml``, as a plain dict) and the
manifest (``manifest.json``, as a dict).  Every number comes from those two, from the KPI
registry (``sim.kpis``) or from the DfE tables shipped in ``sim/reference/dfe/``; the prose
says what the code does (docs/model.md, docs/decisions/), nothing it does not.

The result is :class:`sim.reports.html.Section` objects for :mod:`sim.reports.html`.
"""
from __future__ import annotations

import datetime as dt
import shlex
from importlib import metadata
from typing import Any, Mapping, Sequence

import pandas as pd

from sim import kpis, periods
from sim.inputs.errors import InputError, shown
from sim.reports.html import Bullets, Code, Paragraph, Section, Table

HEADING = "Model description (STRESS-DES)"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_TEAMS = {"mash": "MASH", "assessment": "assessment", "long_term": "long-term"}
_UNITS = {"working_days": "working days", "days": "days"}

# What each shipped DfE table holds (docs/reference-data.md); its years are read from the file.
_DFE_TABLES = {
    "b1_children_in_need.csv": "children-in-need episodes; children awaiting assessment at 31 March",
    "c1_referrals_and_rereferrals.csv": "referrals, re-referrals within 12 months, no further action, "
                                        "assessed not in need",
    "d3_cp_plans_subsequent.csv": "child protection plans started; second or later plans",
    "d5_cp_plans_at_31_march_by_duration.csv": "child protection plans open at 31 March by time on plan",
    "cla_numbers.csv": "children looked after at 31 March, starting and ceasing in the year",
    "cla_social_worker_changes.csv": "children looked after who had 3 or more social workers in the year",
    "csww_workforce_indicators.csv": "children and family social workers at 30 September: FTE, agency, "
                                     "vacancies, turnover, caseloads, absence",
    "ons_population_0_17.csv": "children aged 0 to 17 (ONS mid-year estimate)",
    "statistical_neighbours.csv": "each council's ten statistical neighbours",
}


def model_description(config: Mapping[str, Any], manifest: Mapping[str, Any],
                      heading: str = HEADING) -> Section:
    """One major section holding the six STRESS-DES items (:func:`items`) as its subsections."""
    return Section(heading, [Paragraph(
        "This section describes the model and this run under the six headings of the STRESS-DES "
        "checklist for reporting discrete-event simulation studies (Monks et al., 2019): objectives, "
        "logic, data, experimentation, implementation and code access. It is written from the run's "
        "config.yaml and manifest.json; docs/model.md describes the model in full.")],
        items(config, manifest))


def items(config: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[Section]:
    """The six STRESS-DES items for a run, each a :class:`Section` with its numbered sub-items.

    Raises :class:`InputError` if the configuration or manifest lacks a key every run records.
    """
    run = _Run(config, manifest)
    return [_objectives(run), _logic(run), _data(run), _experimentation(run), _implementation(run),
            _code_access(run)]


# --------------------------------------------------------------------------- reading the run

class _Run:
    """The configuration and manifest of one run, read with plain-sentence errors."""

    def __init__(self, config: Mapping[str, Any], manifest: Mapping[str, Any]):
        if not isinstance(config, Mapping) or not isinstance(manifest, Mapping):
            raise InputError("A model description needs the run's config.yaml and manifest.json read as mappings.")
        self.config = config
        self.manifest = manifest

    def cfg(self, path: str) -> Any:
        """A configuration value every resolved config.yaml has (``service.demand.contacts_per_year``)."""
        return _need(self.config, path, "config.yaml")

    def man(self, path: str, default: Any = None) -> Any:
        """A manifest value, or ``default`` if this manifest does not record it."""
        try:
            return _need(self.manifest, path, "manifest.json")
        except InputError:
            return default

    @property
    def start(self) -> dt.date:
        return _date(self.cfg("start_date"), "config.yaml", "start_date")

    @property
    def end(self) -> dt.date:
        """The horizon end (exclusive), as the manifest records it."""
        recorded = self.man("end_date")
        if recorded:
            return _date(recorded, "manifest.json", "end_date")
        from sim.config import add_months

        return add_months(self.start, int(self.cfg("horizon_months")))


def _need(data: Mapping[str, Any], path: str, source: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise InputError(f"{source} has no '{path}': a model description is made from a complete run folder.")
        node = node[part]
    return node


def _date(text: Any, source: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"{source} key '{key}' is '{shown(text)}' but must be a date written like "
                         "2023-04-01.") from None


def _day(day: dt.date | str) -> str:
    """A date for people: "1 November 2022"."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _num(x: float, decimals: int = 1) -> str:
    """A parameter value: whole numbers without decimals, others to ``decimals`` places."""
    x = float(x)
    return f"{x:,.0f}" if x == round(x) else f"{x:,.{decimals}f}".rstrip("0").rstrip(".")


def _pct(share: float) -> str:
    """A share (0-1) as a percentage: 0.176 is "17.6%"."""
    return f"{_num(100 * float(share), 1)}%"


def _dist(d: Mapping[str, Any]) -> str:
    """A distribution spec in words: "gamma, mean 80, sd 15 days"."""
    unit = _UNITS.get(str(d.get("unit")), str(d.get("unit")))
    kind = d.get("kind")
    if kind == "fixed":
        return f"fixed at {_num(d.get('value') or 0, 2)} {unit}"
    if kind == "exponential":
        return f"exponential, mean {_num(d['mean'], 2)} {unit}"
    if kind in ("lognormal", "gamma"):
        return f"{kind}, mean {_num(d['mean'], 2)}, sd {_num(d['sd'], 2)} {unit}"
    if kind == "empirical":
        edges = d.get("edges") or []
        bins = max(len(edges) - 1, 0)
        span = f" from {_num(edges[0])} to {_num(edges[-1])}" if edges else ""
        return f"empirical, {bins} bins{span} {unit}"
    return str(kind)


def _posts(team: Mapping[str, Any]) -> tuple[int, float, str]:
    """Posts, FTE and a breakdown by kind of worker for one team's groups."""
    count = fte = 0.0
    by_kind: dict[str, int] = {}
    for group in team.get("groups") or []:
        n = int(group.get("count", 0))
        count += n
        fte += n * float(group.get("fte", 1.0))
        by_kind[str(group.get("kind"))] = by_kind.get(str(group.get("kind")), 0) + n
    parts = ", ".join(f"{n} {kind}" for kind, n in by_kind.items())
    return int(count), fte, parts


def _council(run: _Run) -> str:
    """The council's name from the DfE tables (by ``service.la_code``), or the service's name."""
    code = run.cfg("service").get("la_code")
    name = str(run.cfg("service.name"))
    if code is None:
        return f"the '{name}' service"
    try:
        from sim.reference import published

        table = published.councils()
        row = table[table["old_la_code"] == int(code)]
        if len(row):
            return f"{row['la_name'].iloc[0]} (DfE code {int(code)})"
    except (InputError, ValueError, OSError):
        pass  # a council the tables do not hold: name the service instead
    return f"the '{name}' service (DfE code {code})"


def _funding_sentence(action: Mapping[str, Any]) -> str:
    """One dated funding action (``service.funding``) in words."""
    what = action.get("action")
    team = action.get("team")
    team_words = f"the {_TEAMS.get(team, team)} team" if team else "every team"
    named = f" ({action['name']})" if action.get("name") else ""
    when = _day(action["date"]) if action.get("date") else "an undated day"
    if what == "add_posts":
        until = f", funded to the end of {_day(action['until'])}" if action.get("until") else ""
        return (f"From {when}: {action.get('count', 0)} {action.get('funding', 'temporary')} posts added to "
                f"{team_words}, recruited with {action.get('fill_with', 'permanent')} workers{until}{named}.")
    if what == "end_temporary_posts":
        return f"On {when}: the temporary posts of {team_words} end; their workers leave{named}."
    if what == "convert_to_permanent":
        return f"On {when}: the temporary posts of {team_words} become permanent{named}."
    if what == "retention_package":
        until = _day(action["until"]) if action.get("until") else "the horizon end"
        return (f"From {when} to the end of {until}: a retention package{named} multiplies employed "
                f"workers' leaving rates by {_num(action.get('turnover_multiplier', 1.0), 2)}, at a cost of "
                f"£{float(action.get('cost', 0)):,.0f} spread over its days.")
    return f"On {when}: {what}{named}."


def _kpi_table() -> Table:
    """Every headline figure of summary.csv, as the KPI registry defines it."""
    rows = []
    for key in (*kpis.HEADLINE, *kpis.QUEUE_TREND):
        k = kpis.REGISTRY[key]
        between = f"{k.start} to {k.end}" if k.start and k.end else (f"each {k.end}" if k.end else "")
        if not between and k.level:
            between = "a level, from the log's states"
        if k.clock:
            between = f"{between} ({k.clock} days)" if between else f"{k.clock} days"
        rows.append({"Figure": k.label, "Unit": k.unit, "Counted from the log": between or "see docs/outputs.md",
                     "Better": k.better})
    return Table("The figures reported over the forecast horizon (sim/kpis.py)", pd.DataFrame(rows),
                 formats={"Figure": "text", "Unit": "text", "Counted from the log": "text", "Better": "text"})


# --------------------------------------------------------------------------- 1. objectives

def _objectives(run: _Run) -> Section:
    """STRESS-DES 1: the purpose of the model, its outputs and what this run sets out to show."""
    scenario = run.cfg("scenario")
    funding = run.cfg("service.funding") or []
    settings = run.man("settings") or []
    aims = [f"Scenario '{scenario.get('name')}': {scenario.get('description') or 'no description given'}."]
    aims += [_funding_sentence(a) for a in funding]
    if not funding:
        aims.append("No funding schedule: posts change only through turnover and recruitment.")
    aims.append("Settings given on the command line: " + (", ".join(map(str, settings)) if settings else "none") + ".")
    return Section("1. Objectives", [], [
        Section("1.1 Purpose of the model", [Paragraph(
            f"caseflow forecasts how long children wait at the front door of {_council(run)}'s children's "
            "social care: for a decision by the multi-agency safeguarding hub (MASH), for a social worker, "
            "and to be seen; and how that changes under funding and workforce choices: temporary-funded "
            "posts, permanent posts, agency cover and retention packages. It started from Ofsted's 2022 "
            "finding that in Nottingham some children who had met the threshold for social care waited up "
            "to six weeks to be seen by a social worker.")]),
        Section("1.2 Model outputs", [
            Paragraph("Every figure is computed from the event log, replication by replication, and reported "
                      "as the mean and 10th, 50th and 90th percentiles across replications, with the 95% "
                      "confidence interval's half-width: by month in forecast.csv and over the whole horizon "
                      "in summary.csv (docs/outputs.md). Waits in working days count whole working days "
                      "between the dates of the two events, as the DfE does."),
            _kpi_table()]),
        Section("1.3 Experimentation aims", [Bullets(aims), Paragraph(
            "Scenarios are compared with caseflow compare, which runs them on common random numbers and "
            "reports each difference from the first scenario with a paired 95% confidence interval "
            "(docs/decisions/0013).")]),
    ])


# --------------------------------------------------------------------------- 2. logic

def _logic(run: _Run) -> Section:
    """STRESS-DES 2: the flow of a child through the front door, the scenario's changes, the
    algorithms that stand for people's decisions, and the model's components."""
    svc = run.cfg("service")
    wf = run.cfg("service.workforce")
    demand = run.cfg("service.demand")
    mash_posts, mash_fte, mash_kinds = _posts(wf["mash"])
    ass_posts, ass_fte, ass_kinds = _posts(wf["assessment"])
    lt_posts, lt_fte, lt_kinds = _posts(wf["long_term"])
    consent = svc["mash"]["consent_share"]
    over = [f"{_TEAMS[t]}: after {_num(wf[t]['over_cap']['after_working_days'])} working days, up to "
            f"{_num(wf[t]['over_cap']['allowance'])} over the cap"
            for t in ("assessment", "long_term") if wf[t]["over_cap"].get("after_working_days") is not None]
    funding = svc.get("funding") or []
    return Section("2. Logic", [], [
        Section("2.1 Base model overview", [Paragraph(
            "Contact received → parental consent or partner information, if needed → MASH screening and "
            "decision (no further action, early help, or referral) → referral accepted → allocation to an "
            "assessment social worker → child seen → assessment completed (for a child protection route, "
            "at the initial child protection conference) → plan: child in need, child protection or looked "
            "after, held by the long-term team → plan ends: the case closes or another plan starts. A case "
            "that ends may come back later as a new contact about the same child.")]),
        Section("2.2 Base model logic", [
            Paragraph(f"Contacts arrive only on working days (weekends and England's bank holidays excluded): "
                      f"a Poisson number each working day with monthly seasonality, "
                      f"{_num(demand['contacts_per_year'])} a year in expectation, children coming back "
                      f"included. Each has a priority (red {_pct(demand['priority']['red'])}, amber "
                      f"{_pct(demand['priority']['amber'])}, green {_pct(demand['priority']['green'])}); "
                      f"amber and green contacts need consent first with probability "
                      f"{_pct(consent['amber'])} and {_pct(consent['green'])}: a wait ("
                      f"{_dist(svc['mash']['consent_delay'])}) that occupies nobody."),
            Paragraph(f"The MASH ({mash_posts} posts, {_num(mash_fte)} FTE) screens ready contacts in priority "
                      f"order, then by time; screening effort ({_dist(svc['mash']['screening'])} of one "
                      "full-time worker) is divided by the screener's FTE. Its decision is drawn by "
                      "priority; a referral may go to a strategy discussion and s47 enquiry."),
            Paragraph(f"Referrals wait in the assessment team's queue (priority, then time) and go, on a working "
                      f"day, to the present worker with most room under their caseload cap ({ass_posts} posts, "
                      f"{_num(ass_fte)} FTE). The child is seen after a delay from allocation; the assessment's "
                      "outcome is drawn when the child is seen and it completes at the later of the first "
                      "allocation plus a drawn duration and the visit plus a minimum. A first plan moves the "
                      f"case to the long-term team's queue ({lt_posts} posts, {_num(lt_fte)} FTE); until a "
                      "long-term worker takes it, the assessment worker keeps it."),
            Paragraph("Workers resign at their kind's rate, give notice and leave; their children are "
                      "reallocated (a change of social worker) and the post is recruited after a lag. Sickness "
                      "absence, new starters' reduced caps, long absences and caseload rebalancing are "
                      "modelled; every change to posts, workers and money is an event in the log."),
        ]),
        Section("2.3 Scenario logic", [Bullets(
            [_funding_sentence(a) for a in funding] or
            ["This run has no funding schedule: the establishment above is fixed but for turnover, "
             "recruitment and vacancies."])]),
        Section("2.4 Algorithms", [Bullets([
            "Working-day clock: each working day carries one unit of working time spread evenly over its "
            "24 hours; durations in working days advance on it (sim/calendar.py).",
            "Allocation: while the child at the head of the queue can be placed, they go to the present worker "
            "not on notice with most room under their weighted cap (ties: the earliest to start); caps "
            "count case weights (docs/decisions/0022)." + (
                " Caps bend for a child who has waited long: " + "; ".join(over) + "." if over else ""),
            "Resignation: each worker draws a unit exponential budget and resigns when their hazard, "
            "integrated over time, reaches it, so a change of rate keeps the budget already spent "
            "(docs/decisions/0008).",
            "Children who come back: when a case ends the child returns with a probability set by how it "
            "ended, after a drawn delay; the stream of new children is scaled so that all contacts "
            "together meet the yearly number (docs/decisions/0020).",
            "Opening state: plans open, children due back and assessments under way are drawn at the "
            "first instant from the steady state of the flows (docs/decisions/0025).",
        ])]),
        Section("2.5 Components", [Table("The model's components", pd.DataFrame([
            {"Component": "Entities", "In the model": "children and their cases (contacts, referrals, plans); "
             "social workers and MASH screeners; funded posts"},
            {"Component": "Activities", "In the model": "consent wait, screening, first visit, assessment, "
             "initial conference, plans, recruitment, notice, sickness absence"},
            {"Component": "Resources", "In the model": f"MASH screeners ({mash_kinds}); assessment social workers "
             f"({ass_kinds}); long-term social workers ({lt_kinds}); caseload caps by kind of worker"},
            {"Component": "Queues", "In the model": "MASH queue (priority, then time ready); assessment allocation "
             "queue (priority, then time); long-term queue (plan: CP, looked after, CIN, then time)"},
            {"Component": "Entry and exit", "In the model": "contacts arrive on working days; cases end at the MASH "
             "(no further action, early help), at assessment or conference (closed), or when a plan ends"},
        ]), formats={"Component": "text", "In the model": "text"})]),
    ])


# --------------------------------------------------------------------------- 3. data

def _calibration(run: _Run) -> str:
    calibration = run.cfg("service").get("calibration") or {}
    year = calibration.get("year")
    figures = calibration.get("figures") or []
    if year is None:
        return "The service's configuration names no calibration year."
    fy = periods.financial_year(dt.date(int(year) - 1, 4, 1))
    return (f"The service's values were set from the DfE year {int(year)} (financial year {fy}, 1 April "
            f"{int(year) - 1} to 31 March {int(year)}) and the workforce census at 30 September {int(year)}: "
            f"{len(figures)} published figures ({', '.join(map(str, figures))}). caseflow validate marks "
            "these as calibration inputs, whose agreement is no test of the model.")


def _dfe_table() -> Table:
    """The shipped DfE tables and the years each holds, read from the files."""
    from sim.reference import published

    rows = []
    for file in published.FILES:
        years = published.years(file)
        rows.append({"File (sim/reference/dfe/)": file, "What": _DFE_TABLES.get(file, ""),
                     "Years": f"{years[0]} to {years[-1]}" if len(years) > 1 else
                     (str(years[0]) if years else "no year")})
    return Table("The DfE's published tables shipped with caseflow", pd.DataFrame(rows),
                 formats={"File (sim/reference/dfe/)": "text", "What": "text", "Years": "text"},
                 note="Children's figures are for the year to 31 March (2024: April 2023 to March 2024); the "
                      "workforce census is at 30 September. Contains public sector information licensed under "
                      "the Open Government Licence v3.0.")


def _parameter_table(run: _Run) -> Table:
    svc = run.cfg("service")
    wf = svc["workforce"]
    rows = [("service.demand.contacts_per_year", _num(svc["demand"]["contacts_per_year"]))]
    for team in ("mash", "assessment", "long_term"):
        posts, fte, kinds = _posts(wf[team])
        rows.append((f"service.workforce.{team}.groups", f"{posts} posts ({kinds}), {_num(fte)} FTE"))
    for team in ("assessment", "long_term"):
        cap = wf[team]["caseload_cap"]
        rows.append((f"service.workforce.{team}.caseload_cap",
                     f"permanent {_num(cap['permanent'])}, agency {_num(cap['agency'])}, ASYE {_num(cap['asye'])}"))
    rate = wf["turnover"]["annual_rate"]
    rows.append(("service.workforce.turnover.annual_rate",
                 f"permanent {_pct(rate['permanent'])}, agency {_pct(rate['agency'])}, "
                 f"ASYE {_pct(rate['asye'])} a year"))
    rows.append(("service.workforce.recruitment.permanent", _dist(wf["recruitment"]["permanent"])))
    rows.append(("service.workforce.recruitment.agency", _dist(wf["recruitment"]["agency"])))
    rows.append(("service.workforce.sickness.absence_share", _pct(wf["sickness"]["absence_share"])))
    rows.append(("service.casework.assessment_duration", _dist(svc["casework"]["assessment_duration"])))
    rows.append(("service.casework.cin_held_outside", _pct(svc["casework"]["cin_held_outside"])))
    cost = wf["annual_cost_per_fte"]
    rows.append(("service.workforce.annual_cost_per_fte",
                 f"permanent £{float(cost['permanent']):,.0f}, agency £{float(cost['agency']):,.0f}, "
                 f"ASYE £{float(cost['asye']):,.0f} a year"))
    return Table("Main input parameters of this run (config.yaml)",
                 pd.DataFrame(rows, columns=["Key", "Value"]), formats={"Key": "text", "Value": "text"},
                 note="Every parameter is in the run's config.yaml; configs/service/<service>.yaml says where "
                      "each comes from: a published figure, derived from published figures, or an estimate.")


def _data(run: _Run) -> Section:
    """STRESS-DES 3: the published data behind the parameters, how they were prepared, the
    parameters themselves and the main assumptions."""
    inputs = run.man("inputs") or {}
    files = [f"{kind}: {entry.get('name', '')} (SHA-256 {entry.get('sha256', 'not recorded')})"
             for kind, entry in inputs.items() if isinstance(entry, Mapping)]
    wf = run.cfg("service.workforce")
    return Section("3. Data", [], [
        Section("3.1 Data sources", [_dfe_table(), Paragraph(_calibration(run))]),
        Section("3.2 Pre-processing", [Paragraph(
            "The DfE files are as published except that their names were shortened and their rows filtered "
            "to years up to 2024; suppressed or unavailable cells are read as missing, never as 0. Some "
            "parameters are derived from published figures (plan lengths from stocks and flows by Little's "
            "law, the child protection plan lengths from the plans open at 31 March read as a survival "
            "curve); published bins with an open end are closed by estimate.")]),
        Section("3.3 Input parameters", [_parameter_table(run)] + (
            [Paragraph("Configuration files this run was composed from:"), Bullets(files)] if files else [])),
        Section("3.4 Assumptions", [Bullets([
            "Demand has no trend: the same seasonal daily rates every year, with Poisson noise.",
            "Turnover depends on the kind of worker (and on retention packages and the end of fixed-term "
            "funding); caseload pressure adds to it only when service.workforce.turnover.caseload_elasticity "
            f"is above 0 (here {_num(wf['turnover']['caseload_elasticity'], 2)}).",
            "Sickness absence stops an absent worker taking new work but does not delay their children's "
            "visits, assessments or plans.",
            "Case weights, the point where caps bend, the recruitment market and the effect of a retention "
            "package on turnover are assumptions to vary, not published figures.",
            "Costs are pay only: FTE-days at a yearly rate by kind of worker, plus retention packages.",
            "Only the MASH, assessment and long-term teams are modelled; work happens round the clock on "
            "working days (no office hours).",
        ])]),
    ])


# --------------------------------------------------------------------------- 4. experimentation

def _warmup_sentence(run: _Run) -> str:
    warm = run.man("warmup")
    if not isinstance(warm, Mapping):
        return "The manifest records no warm-up check."
    found = []
    for name, verdict in (warm.get("series") or {}).items():
        if isinstance(verdict, Mapping):
            label = kpis.REGISTRY[name].label if name in kpis.REGISTRY else name
            found.append(f"{label}: start-up {verdict.get('start_up_days')} days"
                         f"{'' if verdict.get('enough') else ' (longer than the warm-up)'}")
    verdict = "long enough" if warm.get("enough") else "possibly too short"
    return (f"The run checked the warm-up with {warm.get('method', 'MSER-5')} on the daily levels averaged over "
            f"replications and found it {verdict}: " + "; ".join(found) + ".")


def _experimentation(run: _Run) -> Section:
    """STRESS-DES 4: how the run starts, how long it runs and how its figures are estimated."""
    start, end = run.start, run.end
    warm_months = int(run.cfg("warmup_months"))
    warm_days = run.man("warmup.warmup_days")
    casework = run.cfg("service.casework")
    recruitment = run.cfg("service.workforce.recruitment")
    opening = []
    if casework.get("opening_stock"):
        opening.append("plans already open, children due back and assessments under way are drawn at the "
                       "first instant in steady state")
    if recruitment.get("opening_vacancies"):
        opening.append("posts start vacant at the steady-state share their turnover and recruitment lags imply")
    quarters = periods.quarters_between(start, end)
    replications = int(run.man("replications", run.cfg("replications")))
    resumed = int(run.man("replications_resumed", 0) or 0)
    return Section("4. Experimentation", [], [
        Section("4.1 Initialisation", [
            Paragraph(f"A warm-up of {warm_months} months"
                      + (f" ({warm_days} days)" if warm_days is not None else "")
                      + " runs before the forecast start; its events are in the log but in no figure. "
                      + ("At the start of the warm-up, " + "; ".join(opening) + "." if opening else
                         "The model starts empty.")),
            Paragraph(_warmup_sentence(run))]),
        Section("4.2 Run length", [Paragraph(
            f"The forecast runs from {_day(start)} to {_day(end)} (the day after the last forecast day): "
            f"{periods.months_between(start, end)} months, " + (
                f"financial-year quarters {quarters[0]} to {quarters[-1]}." if len(quarters) > 1 else
                f"in the financial-year quarter {quarters[0]}."))]),
        Section("4.3 Estimation approach", [Paragraph(
            f"{replications} replications (seed {run.cfg('seed')}"
            + (f"; {resumed} resumed from an interrupted run" if resumed else "") + "). Each figure is computed "
            "per replication and summarised across them by the mean, the 10th, 50th and 90th percentiles "
            "and the half-width of the Student t 95% confidence interval of the mean; summary.csv says for "
            "each headline figure whether that interval is within 5% of the mean and how many replications "
            "would make it so (docs/decisions/0015). Comparisons use common random numbers: replication k of "
            "every scenario draws from the same streams, and differences are paired by replication "
            "(docs/decisions/0013).")]),
    ])


# --------------------------------------------------------------------------- 5. implementation

def _implementation(run: _Run) -> Section:
    """STRESS-DES 5: the software, random sampling, how the run executed and on what machine."""
    versions = run.man("versions") or {}
    frame = pd.DataFrame([{"Package": str(k), "Version": str(v)} for k, v in versions.items()],
                         columns=["Package", "Version"])
    executor = run.man("executor", run.cfg("executor"))
    workers = run.man("workers")
    seconds = run.man("run_seconds")
    events = run.man("events")
    started = run.man("started")
    execution = (f"Replications ran on the '{executor}' executor"
                 + (f" with {workers} workers" if workers else "") + "; the event logs are the same whichever "
                 "executor runs them. The model is event-sourced: every fact is an event appended to the log "
                 "(docs/event-log.md) and every figure is computed from the log"
                 + (f"; this run recorded {int(events):,} events" if events is not None else "") + "."
                 + (f" It took {float(seconds):,.1f} seconds" if seconds is not None else "")
                 + (f", starting at {started} (UTC)." if started else "." if seconds is not None else ""))
    return Section("5. Implementation", [], [
        Section("5.1 Software", [Paragraph(
            f"caseflow {versions.get('caseflow', '')} is written in Python {versions.get('python', '')} on the "
            f"SimPy {versions.get('simpy', '')} discrete-event library; configuration is composed with Hydra "
            "and checked before anything runs."), Table("Package versions of this run (manifest.json)", frame,
                                                        formats={"Package": "text", "Version": "text"})]),
        Section("5.2 Random sampling", [Paragraph(
            "Each random process draws from its own named stream: a numpy PCG64 generator seeded by "
            "SeedSequence(seed, spawn key (replication, CRC-32 of the stream's name)), so the same seed and "
            "configuration give the same event log bit for bit, replication k does not depend on which "
            "others ran, and adding a stream does not shift the others (sim/streams.py).")]),
        Section("5.3 Model execution", [Paragraph(execution)]),
        Section("5.4 System specification", [Paragraph(
            f"Platform: {run.man('platform', 'not recorded')}.")]),
    ])


# --------------------------------------------------------------------------- 6. code access

def licence() -> str:
    """caseflow's licence, as its installed package metadata declares it."""
    try:
        meta = metadata.metadata("caseflow")
    except metadata.PackageNotFoundError:
        return "not recorded (caseflow is not installed as a package)"
    return meta.get("License-Expression") or meta.get("License") or "not recorded"


def reproduce_command(manifest: Mapping[str, Any]) -> str:
    """The command line of the run as it was typed (manifest ``command``), quoted for a shell."""
    command = manifest.get("command") if isinstance(manifest, Mapping) else None
    if not isinstance(command, Sequence) or isinstance(command, str) or not command:
        return ""
    return shlex.join(str(part) for part in command)


def _code_access(run: _Run) -> Section:
    """STRESS-DES 6: where the code is (the commit), under what licence, and how to rerun."""
    commit = run.man("git.commit")
    dirty = run.man("git.dirty")
    version = run.man("versions.caseflow", "")
    if commit:
        where = (f"caseflow {version} at git commit {commit}"
                 + (", with uncommitted changes in the working tree: the commit alone may not reproduce it"
                    if dirty else "") + ".")
    else:
        where = f"caseflow {version}; the manifest records no git commit (it ran outside a git checkout)."
    command = reproduce_command(run.manifest)
    blocks = [Paragraph(f"This run was made with {where} Licence: {licence()}."),
              Paragraph("The run's config.yaml is its fully resolved configuration: with the same code and "
                        "package versions it reproduces the event log exactly (docs/outputs.md, Rerunning a run).")]
    if command:
        blocks.append(Code(command, caption="The command as it was typed:"))
    return Section("6. Code access", [], [Section("6.1 Model sharing statement", blocks)])
