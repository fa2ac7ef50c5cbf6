"""A service configuration for any English council, from the DfE tables shipped in the package.

``calibrate(la, year)`` reads one council's published figures for one DfE year (children's
figures for the year April Y-1 to March Y, the workforce census of 30 September Y or the
nearest census held) and sets the parameters they speak to, starting from the default service
(``configs/service/nottingham.yaml``).  Everything the tables do not give keeps the default
service's value and is marked ``E``.  Every value set here carries its provenance: the table,
the year and the kind (``R`` published, ``D`` derived, ``E`` estimate), in the comment that
``sim.inputs.provenance`` reads.

A suppressed or missing cell is filled from the council's statistical neighbours (nearest
first), then its region, then England, and the comment names the substitute.  A count (a
number of referrals, plans, FTE) is never copied from another place as it stands: the
substitute's rate per child aged 0-17 (ONS) is applied to the council's own child population,
because a neighbour's count says nothing about a council of another size.

``service_yaml`` writes the result as a YAML file as readable and editable as the default
service's.  Deliberately free of SimPy: pure functions of the tables and the default service.
"""
from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .config import MAX_RETURN_SHARE  # a share above it is refused (returns would multiply without end)
from .inputs.errors import InputError, listing
from .reference import published as pub

DEFAULT_SERVICE = "nottingham"
# DfE table names as people cite them, for the comments.
TABLE_NAMES = {pub.B1: "DfE CIN B1", pub.C1: "DfE CIN C1", pub.D3: "DfE CIN D3", pub.D5: "DfE CIN D5",
               pub.CLA: "DfE CLA", pub.CLA_SW: "DfE CLA", pub.CSWW: "DfE CSWW", pub.ONS: "ONS mid-year"}
COUNT_UNITS = ("count", "fte")          # figures that scale with a council's size
CP_BANDS = ("cp_at31_under_3m_pct", "cp_at31_3_to_6m_pct", "cp_at31_6_to_12m_pct", "cp_at31_1_to_2y_pct",
            "cp_at31_2y_plus_pct")
# The D5 bands in days (decision 0024), and the bins of the fitted distribution: the bands split
# at 15 months as in the default service, the open band closed at 3 years (E).
CP_BAND_EDGES = (0, 91, 182, 365, 730, 1095)
CP_BIN_EDGES = (0, 91, 182, 365, 456, 730, 1095)
# E: days from referral to a completed assessment, for the assessments open at 31 March that
#    the CIN count holds besides plans (DfE C2: median 33 working days, most within 45).
ASSESSMENT_DAYS = 45
# Figures that lengths and ratios are divided by: a published 0 is replaced as a missing value is.
DIVISORS = ("referrals", "cp_started", "cp_at31", "cla_at31", "cla_started", "cla_ceased", "cin_at31",
            "case_holders_fte", "caseload_per_fte", "rereferral_pct", "cp_subsequent_pct")
# The published figures the written values are set from (caseflow validate marks them in_sample).
CALIBRATION_FIGURES = ("referrals", "rereferral_pct", "closed_at_assessment_pct", "cp_at31", "cp_started",
                       "cp_subsequent_pct", *CP_BANDS, "cla_at31", "cla_started", "cla_ceased", "cin_at31",
                       "case_holders_fte", "caseload_per_fte", "turnover_rate_pct", "agency_rate_pct",
                       "awaiting_assessment")


# --------------------------------------------------------------------------- published values


@dataclass(frozen=True)
class Found:
    """One published value for the council, and where it came from."""

    key: str
    value: float
    year: int                 # the table's time_period read
    source: str               # "" (the council's own), or "neighbour 872 Derby", "region East Midlands", "England"

    @property
    def marker(self) -> str:
        """The comment's opening: ``R`` for the council's own figure, ``R (neighbour ..., 2022)`` else."""
        return "R" if not self.source else f"R ({self.source}, {self.year})"

    @property
    def cited(self) -> str:
        """The value with its table and year, as a comment cites it."""
        fig = pub.FIGURES[self.key]
        where = f"{TABLE_NAMES[fig.file]} {self.year}"
        if self.source:
            where += f", {self.source}" + (" per child, at the council's child population" if _is_count(self.key)
                                           else "")
        return f"{_fmt(self.value)}{'%' if fig.unit == 'percent' else ''} ({where})"


def _is_count(key: str) -> bool:
    return pub.FIGURES[key].unit in COUNT_UNITS


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.1f}"


def table_year(file: str, year: int) -> int:
    """The file's time_period for DfE year ``year``: the same year, else the nearest it holds
    (the later of two equally near), so that a table with fewer years still gives a value."""
    held = pub.years(file)
    return min(held, key=lambda y: (abs(y - year), -y))


@dataclass
class Council:
    """One council as the calibration sees it: code, name, region, neighbours, child population."""

    code: int
    name: str
    region: str
    neighbours: list[tuple[int, str]] = field(default_factory=list)

    def population(self, year: int) -> float | None:
        return pub.value("population_0_17", self.code, table_year(pub.ONS, year))


def council(la: str | int) -> Council:
    """The council named or numbered ``la`` (InputError, with a "did you mean", if none)."""
    code = pub.find_council(str(la))
    table = pub.councils()
    row = table[table["old_la_code"] == code].iloc[0]
    names = dict(zip(table["old_la_code"], table["la_name"]))
    try:
        near = pub.statistical_neighbours(code)
    except InputError:  # abolished councils are not in the neighbours table: region, then England
        near = []
    return Council(code, str(row["la_name"]), str(row["region_name"]),
                   [(n, str(names.get(n, n))) for n in near])


def _rate(key: str, value: float | None, population: float | None) -> float | None:
    if value is None:
        return None
    if not _is_count(key):
        return value
    return value / population if population else None


def find(key: str, c: Council, year: int) -> Found:
    """The council's figure ``key`` for DfE year ``year``, or its substitute (neighbours nearest
    first, region, England); a figure nobody publishes is an InputError."""
    return find_all((key,), c, year)[key]


def find_all(keys: tuple[str, ...], c: Council, year: int, own_too: bool = True) -> dict[str, Found]:
    """Several figures from one place, the first that publishes them all: for figures that only
    make sense together (the five CP bands must sum to about 100).  ``own_too=False`` skips the
    council's own figure (a zero that a rate cannot be divided by)."""
    file = pub.FIGURES[keys[0]].file
    y = table_year(file, year)
    own = {k: pub.value(k, c.code, y) for k in keys}
    if own_too and all(v is not None for v in own.values()):
        return {k: Found(k, float(v), y, "") for k, v in own.items()}
    counts = any(_is_count(k) for k in keys)
    home = c.population(y) if counts else None
    places: list[tuple[str, str, Any]] = [("Local authority", f"neighbour {n} {name}", n) for n, name in c.neighbours]
    places += [("Regional", f"region {c.region}", c.region), ("National", "England", None)]
    for level, label, code in places:
        try:
            values = {k: pub.level_value(k, level, code, y) for k in keys}
        except InputError:  # a region missing from this table: try the next place
            continue
        if any(v is None for v in values.values()):
            continue
        if counts:
            if level == "Local authority":
                population = pub.value("population_0_17", code, table_year(pub.ONS, y))
            else:
                population = pub.level_value("population_0_17", level, code, table_year(pub.ONS, y))
            rates = {k: _rate(k, v, population) for k, v in values.items()}
            if home is None or any(r is None for r in rates.values()):
                continue
            values = {k: (r * home if _is_count(k) else r) for k, r in rates.items()}
        return {k: Found(k, float(v), y, label) for k, v in values.items()}
    raise InputError(f"{c.name} ({c.code}) has no published {listing(keys)} for {y}, nor have its "
                     "statistical neighbours, its region or England")


# --------------------------------------------------------------------------- the default service


def default_service_path() -> Path:
    from .inputs.folders import config_dir

    return config_dir() / "service" / f"{DEFAULT_SERVICE}.yaml"


def default_service() -> dict:
    """The default service's values (``configs/service/nottingham.yaml``), as plain data."""
    with open(default_service_path(), encoding="utf-8") as f:
        return yaml.safe_load(f)


# --------------------------------------------------------------------------- derivations


def cp_duration_bins(bands_pct: list[float], mean_days: float) -> list[float]:
    """Bin weights of the CP plan length (``CP_BIN_EDGES``) whose steady-state stock matches the
    D5 bands and whose mean is Little's law's (decision 0024).

    At a steady rate of starts the plans open at 31 March that started between a and b days
    before are starts x the integral of the survival curve S from a to b, and the mean is the
    integral of S over all lengths; so each band's share x the mean is the integral of S over
    that band.  With the length uniform within each bin, S is linear between bin edges, and
    those integrals are linear in the bin weights: a non-negative least-squares fit, with the
    weights summing to 1 held firmly.
    """
    from scipy.optimize import nnls

    edges = np.array(CP_BIN_EDGES, float)
    widths = np.diff(edges)
    n = len(widths)
    # integral of S over bin k = width_k x (1 - sum_{j<k} w_j - w_k / 2)
    per_bin = np.zeros((n, n))
    for k in range(n):
        per_bin[k, :k] = -widths[k]
        per_bin[k, k] = -widths[k] / 2
    constant = widths.copy()
    shares = np.array(bands_pct, float) / max(sum(bands_pct), 1e-9)
    rows, target = [], []
    for b in range(len(CP_BAND_EDGES) - 1):
        inside = (edges[:-1] >= CP_BAND_EDGES[b]) & (edges[1:] <= CP_BAND_EDGES[b + 1])
        rows.append(per_bin[inside].sum(axis=0))
        target.append(shares[b] * mean_days - constant[inside].sum())
    scale = 1.0 / mean_days  # bands in units of the mean, so each weighs alike
    firm = 50.0
    a = np.vstack([np.array(rows) * scale, firm * np.ones(n)])
    rhs = np.concatenate([np.array(target) * scale, [firm]])
    # nnls needs b for A x ~= b with x >= 0; the constant part moved to the right already.
    w, _ = nnls(a, rhs)
    w = w / w.sum()
    return [round(float(x) * 100, 1) for x in w]


def mean_of_bins(counts: list[float]) -> float:
    edges = np.array(CP_BIN_EDGES, float)
    mids = (edges[:-1] + edges[1:]) / 2
    c = np.array(counts, float)
    return float((c * mids).sum() / c.sum())


def _s47_share(d: dict) -> float:
    """The share of new children's referrals that are s47 enquiries, in the default service."""
    pr, out, s47 = d["demand"]["priority"], d["mash"]["outcomes"], d["mash"]["s47_share"]
    referrals = sum(pr[p] * out[p]["referral"] for p in pr)
    return sum(pr[p] * out[p]["referral"] * s47[p] for p in pr) / referrals


def _outcome_row(row: dict, close: float, cp_scale: float, lac_scale: float) -> dict:
    """An assessment outcome row with ``close`` given and cp, lac scaled; cin takes the rest."""
    cp, lac = row["cp"] * cp_scale, row["lac"] * lac_scale
    rest = 1.0 - close
    if cp + lac > rest:  # keep close as published; plans share what is left
        cp, lac = cp * rest / (cp + lac), lac * rest / (cp + lac)
    cp, lac, close = round(cp, 3), round(lac, 3), round(close, 3)
    return {"close": close, "cin": round(max(0.0, 1.0 - close - cp - lac), 3), "cp": cp, "lac": lac}


@dataclass
class Calibration:
    """A calibrated service: the values (a plain tree like the service file's) and the comment
    on each value set (by key path), plus the header's lines."""

    service: dict
    notes: dict[tuple, str]
    header: list[str]
    council: Council
    year: int
    census_year: int
    substituted: list[str]


def calibrate(la: str | int, year: int, name: str | None = None) -> Calibration:
    """The service for council ``la`` (code or name) in DfE year ``year`` (April Y-1 to March Y)."""
    held = pub.years("referrals")
    if year not in held:
        raise InputError(f"year={year} is not in the DfE tables caseflow holds, which cover the years to 31 March "
                         f"{held[0]} to {held[-1]}")
    c = council(la)
    t = pub._table(pub.C1)
    reported = sorted(set(t.loc[t["old_la_code"] == str(c.code), "time_period"]))
    if year not in reported:  # created or abolished: no row at all, nothing to substitute into
        if not reported:
            raise InputError(f"{c.name} ({c.code}) has no referral figures in the DfE tables")
        span = f"{reported[0]} only" if len(reported) == 1 else f"{reported[0]} to {reported[-1]}"
        raise InputError(f"{c.name} ({c.code}) is not in the DfE tables for {year}; it reports for {span}")
    d = default_service()
    ref_year = d["calibration"]["year"]
    ref = pub.published(d["la_code"], ref_year)   # the figures the default service was set from
    s = copy.deepcopy(d)
    notes: dict[tuple, str] = {}
    f = {k: find(k, c, year) for k in (
        "referrals", "rereferral_pct", "nfa_pct", "not_in_need_pct", "cp_started", "cp_subsequent_pct", "cp_at31",
        "cla_at31", "cla_started", "cla_ceased", "cin_at31", "case_holders_fte", "caseload_per_fte",
        "turnover_rate_pct", "agency_rate_pct", "vacancy_rate_pct", "absence_rate_pct", "awaiting_assessment")}
    f.update(find_all(CP_BANDS, c, year))
    # The smallest councils (City of London, Isles of Scilly) publish 0 plans or starts in a year,
    # which no length can be derived from: those take the substitutes' rates per child instead.
    for key in DIVISORS:
        if f[key].value <= 0:
            found = find_all((key,), c, year, own_too=False)[key]
            f[key] = Found(key, found.value, found.year, f"{found.source}; own figure 0")
    v = {k: x.value for k, x in f.items()}
    census_year = f["case_holders_fte"].year
    stem = name or f"la_{c.code}_{year}"

    def mark(found: Found, text: str, kind: str | None = None) -> str:
        """``R: text`` for the council's own figure; a derived value says D with its sources."""
        if kind is None:
            return f"{found.marker}: {text}"
        return f"{kind}: {text}"

    s["name"] = stem
    s["la_code"] = c.code
    s["calibration"] = {"year": year, "figures": list(CALIBRATION_FIGURES)}
    notes[("la_code",)] = f"R: the DfE's code for {c.name} (old_la_code), for caseflow validate"
    notes[("name",)] = "E: the service's name (this file's name)"

    # ---- demand: contacts from referrals at the default service's ratio
    per_referral = d["demand"]["contacts_per_year"] / ref["referrals"]
    contacts = round(v["referrals"] * per_referral, -1)
    s["demand"]["contacts_per_year"] = int(contacts)
    notes[("demand", "contacts_per_year")] = (
        f"D: every contact, children coming back included, from {f['referrals'].cited} referrals "
        f"{'(' + f['referrals'].marker + ') ' if f['referrals'].source else ''}at the default service's "
        f"{_fmt(d['demand']['contacts_per_year'])} contacts for {_fmt(ref['referrals'])} referrals "
        f"({DEFAULT_SERVICE}.yaml, {ref_year}); E: no council publishes contacts")
    # MASH screening load follows contacts: the team scales with them.
    ratio = contacts / d["demand"]["contacts_per_year"]
    for g in s["workforce"]["mash"]["groups"]:
        g["count"] = max(1, round(g["count"] * ratio)) if g is s["workforce"]["mash"]["groups"][0] \
            else round(g["count"] * ratio)
    notes[("workforce", "mash")] = (f"E: the default service's MASH team scaled by contacts "
                                    f"(x{ratio:.2f}); no council publishes MASH posts")

    # ---- assessment outcomes: 'close' from NFA + not in need; cp and lac from plan starts
    close = v["nfa_pct"] + v["not_in_need_pct"]
    ref_close = ref["nfa_pct"] + ref["not_in_need_pct"]
    sigma = _s47_share(d)
    ao = d["casework"]["assessment_outcomes"]
    default_close = sigma * ao["s47"]["close"] + (1 - sigma) * ao["other"]["close"]
    k = close / ref_close
    cp_scale = (v["cp_started"] / v["referrals"]) / (ref["cp_started"] / ref["referrals"])
    lac_scale = (v["cla_started"] / v["referrals"]) / (ref["cla_started"] / ref["referrals"])
    for route in ("s47", "other"):
        row = ao[route]
        s["casework"]["assessment_outcomes"][route] = _outcome_row(row, min(0.95, row["close"] * k),
                                                                   cp_scale, lac_scale)
    notes[("casework", "assessment_outcomes")] = (
        f"D: {_fmt(close)}% of referrals ended NFA ({f['nfa_pct'].cited}) or assessed not in need "
        f"({f['not_in_need_pct'].cited}): the default service's 'close' shares (about {default_close:.0%} "
        f"of referrals for {_fmt(ref_close)}% published) scaled by x{k:.2f}; cp by CP plans started per "
        f"referral ({f['cp_started'].cited}, x{cp_scale:.2f}) and lac by children starting to be looked after "
        f"per referral ({f['cla_started'].cited}, x{lac_scale:.2f}), against the default service's; E: cin "
        "takes the rest")

    # ---- plan lengths
    mean_cp = v["cp_at31"] / v["cp_started"] * 365
    bins = cp_duration_bins([v[b] for b in CP_BANDS], mean_cp)
    fitted = mean_of_bins(bins)
    # The fit holds the mean only near Little's law's (up to 7% off): the edges are stretched so
    # that it is exact, and the stock at 31 March with it.
    stretch = mean_cp / fitted if fitted > 0 else 1.0
    s["casework"]["plan_duration"]["cp"] = {"kind": "empirical", "edges": [round(e * stretch, 2) for e in CP_BIN_EDGES],
                                            "counts": bins, "unit": "days"}
    bands = ", ".join(f"{lab} {_fmt(v[b])}%" for lab, b in zip(("<=3m", "3-6m", "6-12m", "1-2y", "2y+"), CP_BANDS))
    band_src = f["cp_at31_under_3m_pct"]
    notes[("casework", "plan_duration", "cp")] = (
        f"D: CP plans open at 31 March by time on plan ({TABLE_NAMES[pub.D5]} {band_src.year}"
        f"{', ' + band_src.source if band_src.source else ''}: {bands}) read as a survival curve: the bin "
        f"weights are a least-squares fit of a steady state's stock shares to those bands with the mean "
        f"held near {mean_cp:,.0f} days (fitted {fitted:,.0f}; the edges stretched x{stretch:.3f} to make it "
        f"exact), Little's law: {f['cp_at31'].cited} plans open / {f['cp_started'].cited} starts a year "
        "(decision 0024; E: closed at 3 years)")

    # The model's looked-after stock is in steady state (ceases = starts), and its starts are
    # solved below to equal the published starts: so the stock matches at mean = stock / starts.
    mean_lac = v["cla_at31"] / v["cla_started"] * 365
    lac_d = d["casework"]["plan_duration"]["lac"]
    s["casework"]["plan_duration"]["lac"] = {"kind": "lognormal", "mean": round(mean_lac),
                                             "sd": round(mean_lac * lac_d["sd"] / lac_d["mean"]), "unit": "days"}
    notes[("casework", "plan_duration", "lac")] = (
        f"D: Little's law, {f['cla_at31'].cited} looked after at 31 March at {f['cla_started'].cited} starts a "
        f"year (the model's stock is steady, so ceases equal starts; published ceases: "
        f"{f['cla_ceased'].cited}); E: the spread, as the default service's ({_fmt(lac_d['sd'])} on "
        f"{_fmt(lac_d['mean'])} days)")

    # ---- children who come back: set with the other flows (_solve_flows); CP plans ending by
    # second or subsequent plans
    sub = v["cp_subsequent_pct"] / ref["cp_subsequent_pct"]
    routes = s["returns"]["routes"]
    routes["cp_plan_ended"]["share"] = round(min(MAX_RETURN_SHARE, routes["cp_plan_ended"]["share"] * sub), 3)

    t = v["turnover_rate_pct"] / 100
    s["workforce"]["turnover"]["annual_rate"]["permanent"] = round(t, 3)
    s["workforce"]["turnover"]["annual_rate"]["asye"] = round(t, 3)
    notes[("workforce", "turnover", "annual_rate", "permanent")] = mark(
        f["turnover_rate_pct"], f"turnover, {f['turnover_rate_pct'].cited} of FTE in the year to 30 Sept "
        f"{census_year}")
    notes[("workforce", "turnover", "annual_rate", "asye")] = "E: as permanent (no separate published rate)"
    notes[("workforce", "turnover", "annual_rate", "agency")] = "E: as in the default service (no published rate)"
    s["workforce"]["sickness"]["absence_share"] = round(v["absence_rate_pct"] / 100, 3)
    notes[("workforce", "sickness", "absence_share")] = mark(
        f["absence_rate_pct"], f"absence, {f['absence_rate_pct'].cited} of working days in the year to "
        f"30 Sept {census_year}")
    notes[("workforce", "recruitment")] = (
        f"E: as in the default service; R: vacancies {f['vacancy_rate_pct'].cited} of posts at 30 Sept "
        f"{census_year}, which caseflow validate checks the lags and round failures against")

    substituted = sorted({f"{k}: {x.source}" for k, x in f.items() if x.source})
    census = (f"the workforce census of 30 September {census_year}" if census_year == year else
              f"the workforce census of 30 September {census_year} (the nearest held to {year})")
    header = [
        f"{c.name} ({c.code}, {c.region}): children's social care front door, calibrated by",
        f"`caseflow calibrate la={c.code} year={year}` from the DfE tables in sim/reference/dfe/:",
        f"DfE year {year} (April {year - 1} - March {year}) for children's figures, {census}.",
        "Each value says where it comes from:",
        "  R = published figure, D = derived from published figures, E = estimate to replace with",
        "  local data; a section or value not marked below is the default service's",
        f"  (configs/service/{DEFAULT_SERVICE}.yaml), with that file's reasons.",
        "A suppressed figure is taken from the statistical neighbours (nearest first), then the region,",
        "then England, and its comment names which (a count at the council's child population).",
    ]
    if f["cla_at31"].year != year:
        header.append(f"Children looked after: the nearest year held, {f['cla_at31'].year}.")
    _allocation_delay(s, notes, v, f)
    cfg = _solve_flows(s, d, ref, notes, v, f)
    _held_outside(s, cfg, notes, v, f, census_year)
    _split_workforce(s, d, cfg, notes, v, f, census_year)
    _uncertainty(s, cfg, notes, v, f)
    return Calibration(s, notes, header, c, year, census_year, substituted)


SOLVE_ROUNDS = 12
BISECTIONS = 20
TOLERANCE = 0.002   # flows within 0.2% of the published: far inside a year's chance variation


def _solve_flows(s: dict, d: dict, ref: dict, notes: dict, v: dict, f: dict):
    """Set the shares no council publishes so that the service's steady state (``sim.model.flows``)
    gives the published referrals, re-referral rate, share closed at assessment, CP plan starts
    and looked-after starts, and the CIN plan length that gives the CIN plans open at 31 March.
    The flows depend on one another (children who come back are referred and start plans), so
    the steps repeat until they agree."""
    from .inputs.typed import with_service
    from .model import flows

    c = _rereferral_constant(d, ref)
    base = {r: d["returns"]["routes"][r]["share"] for r in ("no_further_action", "early_help", "closed", "plan_ended")}
    target_rr = v["rereferral_pct"] / 100 / c
    target_close = (v["nfa_pct"] + v["not_in_need_pct"]) / 100
    k_returns = 1.0
    cfg = with_service(s)  # composed once: the rounds set the values they change on it and on s
    for _ in range(SOLVE_ROUNDS):
        before = _flow_values(cfg, flows)
        within = flows.within_window(cfg)
        k_returns = _solve_returns(s, cfg, base, target_rr, within, flows)
        _solve_close(s, cfg, target_close, flows)
        _solve_contacts(s, d, notes, v["referrals"], f["referrals"], cfg)
        for _ in range(20):  # plan starts: cheap to read, so solved to the tolerance each round
            starts = flows.expected_plan_starts_per_day(cfg)
            off = 0.0
            for plan, key in (("cp", "cp_started"), ("lac", "cla_started")):
                have = starts[plan][0] * 365
                if have > 0:
                    off = max(off, abs(v[key] / have - 1))
                    _scale_plan(s, plan, v[key] / have)
            _sync(cfg, s)
            if off < TOLERANCE / 4:
                break
        _cin_length(s, d, cfg, notes, v, f, flows)
        after = _flow_values(cfg, flows)
        if max(abs(a / b - 1) for a, b in zip(after, before) if b) < TOLERANCE / 2:
            break
    if not _synced(cfg, s):  # the flows were read from the values written
        raise AssertionError("the calibration's solved values differ from the service written")
    starts = flows.expected_plan_starts_per_day(cfg)
    notes[("returns", "routes")] = (
        f"D: the shares of the default service's routes scaled together (x{k_returns:.2f}, each at most "
        f"{MAX_RETURN_SHARE}) so that the steady state's children coming back within 12 months of a referral "
        f"(sim.model.flows.rereferrals_per_day), by the default service's ratio of its re-referral rate to that "
        f"({c:.2f}: {_fmt(ref['rereferral_pct'])}% published and simulated), give {f['rereferral_pct'].cited} "
        f"re-referred; cp_plan_ended scaled by second or subsequent CP plans ({f['cp_subsequent_pct'].cited} "
        f"against {_fmt(ref['cp_subsequent_pct'])}%); E: the ratio and the split between routes (tune with "
        "caseflow validate)")
    ao = s["casework"]["assessment_outcomes"]
    notes[("casework", "assessment_outcomes")] = (
        f"D: 'close' set so that the steady state closes {_fmt(100 * target_close)}% of referrals at "
        f"assessment or conference: those ended NFA ({f['nfa_pct'].cited}) or assessed not in need "
        f"({f['not_in_need_pct'].cited}); cp and lac so that it starts {f['cp_started'].cited} CP plans and "
        f"{f['cla_started'].cited} looked-after children a year (it gives {starts['cp'][0] * 365:,.0f} and "
        f"{starts['lac'][0] * 365:,.0f}); E: the default service's split between s47 and other assessments "
        f"(s47 cp {ao['s47']['cp']:.3f}, lac {ao['s47']['lac']:.3f}), cin takes the rest")
    return cfg


def _held_outside(s: dict, cfg, notes: dict, v: dict, f: dict, census_year: int) -> None:
    """The share of first CIN plans held by family practitioners that makes the social workers'
    cases (assessments in progress, CP plans, looked-after children, CIN plans they hold) the
    census's cases (caseload per FTE x case-holding FTE)."""
    from .model import flows

    cases = v["caseload_per_fte"] * v["case_holders_fte"]
    assessing = v["referrals"] / 365 * _assessing(cfg)
    stock = _cin_plans_open(v, cfg)
    cin_starts = flows.expected_plan_starts_per_day(cfg)["cin"][0]
    first = flows.first_cin_starts_per_day(cfg) / cin_starts if cin_starts > 0 else 1.0
    sw_cin = cases - assessing - v["cp_at31"] - v["cla_at31"]
    held = float(np.clip((stock - sw_cin) / (first * stock), 0.0, 0.95)) if first > 0 else 0.0
    s["casework"]["cin_held_outside"] = round(held, 3)
    notes[("casework", "cin_held_outside")] = (
        f"D (decision 0024): {f['caseload_per_fte'].cited} cases per FTE x {f['case_holders_fte'].cited} "
        f"case-holding FTE (census {census_year}) = {_fmt(round(cases))} cases, less about "
        f"{_fmt(round(assessing))} assessments in progress, {_fmt(v['cp_at31'])} CP plans and "
        f"{_fmt(v['cla_at31'])} looked after, leaves {_fmt(round(sw_cin))} CIN plans on social workers' "
        f"caseloads of about {_fmt(round(stock))} open: this share of the CIN plans that follow an assessment "
        f"or conference ({first:.0%} of CIN plans; the rest follow a CP plan) is held outside (clipped to "
        "0-0.95); E: that the census and 31 March count alike")


def _flow_values(cfg, flows) -> tuple[float, ...]:
    """What the solve steps set, to see when a round changes none of them."""
    starts = flows.expected_plan_starts_per_day(cfg)
    return (sum(flows.expected_referrals_per_day(cfg).values()), flows.closed_per_day(cfg), starts["cp"][0],
            starts["lac"][0], starts["cin"][0], cfg.service.casework.plan_duration.cin.mean,
            cfg.service.returns.routes.closed.share, flows.rereferrals_per_day(cfg))


def _solve_close(s: dict, cfg, target: float, flows) -> None:
    """Scale both routes' 'close' shares so that the steady state closes ``target`` of referrals
    at assessment or conference (cin takes up the change)."""
    ao = s["casework"]["assessment_outcomes"]
    for _ in range(20):
        have = flows.closed_per_day(cfg) / sum(flows.expected_referrals_per_day(cfg).values())
        if have <= 0 or abs(target / have - 1) < TOLERANCE / 4:
            break
        for row in ao.values():
            row["close"] = round(min(1.0 - row["cp"] - row["lac"], row["close"] * target / have), 6)
            row["cin"] = round(max(0.0, 1.0 - row["close"] - row["cp"] - row["lac"]), 6)
            row["close"] = round(1.0 - row["cin"] - row["cp"] - row["lac"], 6)
        _sync(cfg, s)


_CONSTANT: dict[str, float] = {}


def _rereferral_constant(d: dict, ref: dict) -> float:
    """The default service's re-referral rate (published, and simulated within a point of it:
    docs/validation.md) over its steady state's approximate rate (``flows.rereferrals_per_day``):
    what the approximation leaves out, taken to be alike in every council (E)."""
    from .inputs.typed import with_service
    from .model import flows

    key = repr(d)  # the default service is read once per calibration; composing it is the slow part
    if key not in _CONSTANT:
        cfg = with_service(d)
        approx = flows.rereferrals_per_day(cfg) / sum(flows.expected_referrals_per_day(cfg).values())
        _CONSTANT.clear()
        _CONSTANT[key] = ref["rereferral_pct"] / 100 / approx
    return _CONSTANT[key]


def _sync(cfg, s: dict) -> None:
    """Set on the composed ``cfg`` the values the solve changes in ``s`` (returns' shares,
    assessment outcomes, contacts, the CIN plan's length), so that the flows are read without
    composing again."""
    for r, route in s["returns"]["routes"].items():
        getattr(cfg.service.returns.routes, r).share = route["share"]
    for route, row in s["casework"]["assessment_outcomes"].items():
        for k, x in row.items():
            setattr(getattr(cfg.service.casework.assessment_outcomes, route), k, x)
    cfg.service.demand.contacts_per_year = s["demand"]["contacts_per_year"]
    cin = s["casework"]["plan_duration"]["cin"]
    cfg.service.casework.plan_duration.cin.mean = cin["mean"]
    cfg.service.casework.plan_duration.cin.sd = cin["sd"]


def _synced(cfg, s: dict) -> bool:
    """``cfg`` holds the solved values of ``s`` (what ``_sync`` sets)."""
    routes = cfg.service.returns.routes
    outcomes = cfg.service.casework.assessment_outcomes
    cin = cfg.service.casework.plan_duration.cin
    return (all(getattr(routes, r).share == x["share"] for r, x in s["returns"]["routes"].items())
            and all(getattr(getattr(outcomes, route), k) == x for route, row in
                    s["casework"]["assessment_outcomes"].items() for k, x in row.items())
            and cfg.service.demand.contacts_per_year == s["demand"]["contacts_per_year"]
            and (cin.mean, cin.sd) == (s["casework"]["plan_duration"]["cin"]["mean"],
                                       s["casework"]["plan_duration"]["cin"]["sd"]))


def _solve_returns(s: dict, cfg, base: dict, target: float, within: dict, flows) -> float:
    """Scale the four routes' shares together (capped) so that re-referrals (approximated by
    ``flows.rereferrals_per_day``) make ``target`` of referrals: bisection, the share rising with
    the scale."""
    routes = s["returns"]["routes"]

    def share(k: float) -> float:
        for r, b in base.items():
            routes[r]["share"] = round(min(MAX_RETURN_SHARE, b * k), 6)
            getattr(cfg.service.returns.routes, r).share = routes[r]["share"]
        return flows.rereferrals_per_day(cfg, within) / sum(flows.expected_referrals_per_day(cfg).values())

    lo, hi = 0.0, max(1.0, MAX_RETURN_SHARE / min(b for b in base.values() if b > 0))
    if share(hi) <= target:
        return hi
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if share(mid) < target else (lo, mid)
    share(hi)
    return hi


def _scale_plan(s: dict, plan: str, k: float) -> None:
    """Multiply ``plan``'s share of assessment outcomes by ``k`` (cin takes up the change;
    'close' is published and stays)."""
    ao = s["casework"]["assessment_outcomes"]
    for route in ("s47", "other"):
        row = ao[route]
        if row[plan] <= 0:
            continue
        others = row["cp" if plan == "lac" else "lac"]
        room = 1.0 - row["close"] - others
        row[plan] = round(min(room, row[plan] * k), 6)
        row["cin"] = round(max(0.0, 1.0 - row["close"] - row["cp"] - row["lac"]), 6)
        row["close"] = round(1.0 - row["cin"] - row["cp"] - row["lac"], 6)


def _assessing(cfg) -> float:
    """Days from allocation to a completed assessment, on average (calendar days)."""
    from .distributions import mean_of

    spec = cfg.service.casework.assessment_duration
    return mean_of(spec) * (7 / 5 if spec.unit == "working_days" else 1)


def _cin_plans_open(v: dict, cfg) -> float:
    """CIN plans open at 31 March: children in need less CP plans, looked-after children, children
    awaiting assessment and referrals being assessed (referrals a day x the assessment's mean)."""
    stock = (v["cin_at31"] - v["cp_at31"] - v["cla_at31"] - v["awaiting_assessment"]
             - v["referrals"] / 365 * _assessing(cfg))
    return max(stock, 0.05 * v["cin_at31"])


def _cin_length(s: dict, d: dict, cfg, notes: dict, v: dict, f: dict, flows) -> None:
    """The CIN plan's mean length by Little's law: the CIN plans open at 31 March over the
    service's own CIN plan starts."""
    cin_d = d["casework"]["plan_duration"]["cin"]
    cin_starts = flows.expected_plan_starts_per_day(cfg)["cin"][0] * 365
    stock = _cin_plans_open(v, cfg)
    mean_cin = float(np.clip(stock / max(cin_starts, 1.0) * 365, 30, 1500))
    s["casework"]["plan_duration"]["cin"] = {"kind": "lognormal", "mean": round(mean_cin, 1),
                                             "sd": round(mean_cin * cin_d["sd"] / cin_d["mean"], 1), "unit": "days"}
    _sync(cfg, s)
    notes[("casework", "plan_duration", "cin")] = (
        f"D: Little's law on the CIN plans open at 31 March: {f['cin_at31'].cited} children in need less "
        f"{_fmt(v['cp_at31'])} CP plans, {_fmt(v['cla_at31'])} looked after, {_fmt(v['awaiting_assessment'])} "
        f"awaiting assessment and {_assessing(cfg):.0f} days' referrals being assessed leaves about "
        f"{_fmt(round(stock))} CIN plans, at the service's {_fmt(round(cin_starts))} CIN plan starts a year "
        f"(sim.model.flows); E: the shape, as the default service's ({_fmt(cin_d['sd'])} on "
        f"{_fmt(cin_d['mean'])} days)")


# E: caps at least this many times the council's published caseload per FTE, so that the teams
#    have the room the default service's have (its caps are about 1.25-1.5 times its caseload).
CAP_HEADROOM = 1.3


def _vacant_share(s: dict, kind: str) -> float:
    """The share of the time a post of ``kind`` stands vacant in steady state: leavers a year x the
    mean time to fill, over a year plus that (a renewal process; newly qualified workers are
    recruited as permanent ones)."""
    from .distributions import mean_of
    from .config import Dist

    wf = s["workforce"]
    rate = wf["turnover"]["annual_rate"][kind]
    lag = mean_of(Dist(**wf["recruitment"]["agency" if kind == "agency" else "permanent"]))
    return rate * lag / (365 + rate * lag)


def _split_workforce(s: dict, d: dict, cfg, notes: dict, v: dict, f: dict, census_year: int) -> None:
    """Case-holding FTE split between the assessment and long-term teams by the work each holds
    (cases in progress weighted as the caps count them); posts of each kind so that the FTE in
    post, after the vacancies turnover leaves, is the census's; caps with room above the
    council's published caseload."""
    cw = s["casework"]
    w = cw["case_weights"]
    s47 = _s47_share(s)
    assessing = v["referrals"] / 365 * _assessing(cfg) * (s47 * w["assessment_s47"] + (1 - s47) * w["assessment"])
    plans = (v["cp_at31"] * w["cp"] + v["cla_at31"] * w["lac"]
             + max(v["caseload_per_fte"] * v["case_holders_fte"] - v["cp_at31"] - v["cla_at31"]
                   - v["referrals"] / 365 * _assessing(cfg), 0.0) * w["cin"])
    caps = {t: s["workforce"][t]["caseload_cap"]["permanent"] for t in ("assessment", "long_term")}
    need = {"assessment": assessing / caps["assessment"], "long_term": plans / caps["long_term"]}
    share_a = need["assessment"] / (need["assessment"] + need["long_term"])
    total = v["case_holders_fte"]
    agency = v["agency_rate_pct"] / 100
    vacant = {k: _vacant_share(s, k) for k in ("permanent", "agency", "asye")}
    for team, part in (("assessment", share_a), ("long_term", 1 - share_a)):
        groups = d["workforce"][team]["groups"]
        fte0 = sum(g["count"] * g["fte"] for g in groups)
        asye = sum(g["count"] * g["fte"] for g in groups if g["kind"] == "asye") / fte0
        n = total * part  # FTE in post
        in_post = {"agency": n * agency, "asye": n * asye}
        in_post["permanent"] = max(1.0, n - in_post["agency"] - in_post["asye"])
        posts = {k: round(x / (1 - vacant[k])) for k, x in in_post.items()}
        posts["permanent"] = max(1, posts["permanent"])
        s["workforce"][team]["groups"] = [{"count": posts[k], "kind": k, "fte": 1.0}
                                          for k in ("permanent", "agency", "asye") if posts[k] > 0]
        notes[("workforce", team, "groups")] = (
            f"D: {f['case_holders_fte'].cited} case-holding FTE in post at 30 Sept {census_year}, {part:.0%} in "
            f"this team by the work each team holds (about {_fmt(round(assessing))} weighted assessments in "
            f"progress against {_fmt(round(plans))} weighted plans on social workers' caseloads, each over the "
            f"team's cap); agency {f['agency_rate_pct'].cited} of FTE, newly qualified as the default service's "
            f"share (E); posts = FTE in post / (1 - the share of the time turnover leaves a post vacant: "
            f"permanent {vacant['permanent']:.1%}, agency {vacant['agency']:.1%}, from the turnover and "
            "recruitment times below); part-time posts counted whole (E)")
        cap = s["workforce"][team]["caseload_cap"]
        low = int(np.ceil(v["caseload_per_fte"] * CAP_HEADROOM))
        if cap["permanent"] < low:
            scale = low / cap["permanent"]
            for kind in cap:
                cap[kind] = int(np.ceil(cap[kind] * scale))
        notes[("workforce", team, "caseload_cap")] = (
            f"E: the default service's caps, raised if need be to at least {CAP_HEADROOM} x the council's "
            f"caseload of {f['caseload_per_fte'].cited} per case-holding FTE at 30 Sept {census_year} (R)")


def _uncertainty(s: dict, cfg, notes: dict, v: dict, f: dict) -> None:
    """Each estimated parameter's relative standard error from the counts behind it, as if each
    count were Poisson (1/sqrt(count), summed in squares for a ratio of two counts): what each
    replication draws from when ``parameter_draws`` is on (``sim.uncertainty``, decision 0030)."""
    from .config import MAX_PARAMETER_CV

    def cv(*counts: float) -> float:
        return round(min(MAX_PARAMETER_CV, float(np.sqrt(sum(1 / max(c, 1.0) for c in counts)))), 4)

    rereferrals = v["rereferral_pct"] / 100 * v["referrals"]
    subsequent = v["cp_subsequent_pct"] / 100 * v["cp_started"]
    leavers = v["turnover_rate_pct"] / 100 * v["case_holders_fte"]
    s["uncertainty"] = {
        "contacts_per_year": cv(v["referrals"]),
        "cin_plan_length": cv(_cin_plans_open(v, cfg)),
        "cp_plan_length": cv(v["cp_at31"], v["cp_started"]),
        "lac_plan_length": cv(v["cla_at31"], v["cla_started"]),
        "allocation_delay": cv(v["awaiting_assessment"]) if v["awaiting_assessment"] > 0 else 0.0,
        "returns": cv(rereferrals),
        "cp_returns": cv(subsequent),
        "turnover": cv(leavers),
    }
    notes[("uncertainty",)] = (
        f"D (decision 0030): relative standard errors of the values above, from the counts they were estimated "
        f"from, each taken as Poisson (1/sqrt(count)): referrals ({_fmt(v['referrals'])}), CIN plans open "
        f"(about {_fmt(round(_cin_plans_open(v, cfg)))}), CP plans open and started ({_fmt(v['cp_at31'])}, "
        f"{_fmt(v['cp_started'])}), looked after and starting ({_fmt(v['cla_at31'])}, {_fmt(v['cla_started'])}), "
        f"awaiting assessment ({_fmt(v['awaiting_assessment'])}), re-referrals (about {_fmt(round(rereferrals))}), "
        f"second CP plans (about {_fmt(round(subsequent))}), leavers (about {_fmt(round(leavers))} FTE); each "
        "replication draws its own values when parameter_draws is on; a substituted figure's count is the "
        "substitute's at this council's size (E)")


def _allocation_delay(s: dict, notes: dict, v: dict, f: dict) -> None:
    """The wait from referral to the assessment team's queue that gives the published children
    awaiting assessment at 31 March by Little's law (awaiting = referrals a day x mean wait),
    the teams having room for the rest.  In working days (5 in 7 calendar days), so that it ends
    on a day allocation is made."""
    per_day = v["referrals"] / 365
    mean = max(v["awaiting_assessment"], 0.0) / per_day if per_day > 0 else 0.0
    if mean <= 0:
        s["casework"]["allocation_delay"] = {"kind": "fixed", "value": 0.0, "unit": "working_days"}
    else:
        s["casework"]["allocation_delay"] = {"kind": "exponential", "mean": round(mean * 5 / 7, 2),
                                             "unit": "working_days"}
    notes[("casework", "allocation_delay")] = (
        f"D: Little's law, {f['awaiting_assessment'].cited} children awaiting assessment at 31 March at "
        f"{_fmt(v['referrals'])} referrals a year: a mean of {mean:.1f} calendar days ({mean * 5 / 7:.1f} "
        "working days) from referral to the allocation queue; E: its shape (exponential), and that the teams "
        "have room for the rest")


def _solve_contacts(s: dict, d: dict, notes: dict, referrals: float, found: "Found", cfg=None) -> None:
    """Set ``contacts_per_year`` so that the calibrated service's expected referrals (its MASH
    outcomes, its children coming back: ``sim.model.flows``) equal the published referrals, and
    scale the MASH team with it.  Referrals are proportional to contacts for fixed shares, so one
    step solves it; the default service's contacts per referral would not, once the shares of
    children coming back (which change the priority mix) differ from the default's."""
    from .inputs.typed import with_service
    from .model.flows import expected_referrals_per_day

    cfg = with_service(s) if cfg is None else cfg
    trial = float(cfg.service.demand.contacts_per_year)
    expected = 365.0 * sum(expected_referrals_per_day(cfg).values())
    contacts = int(round(trial * referrals / expected, -1)) if expected > 0 else int(trial)
    s["demand"]["contacts_per_year"] = contacts
    cfg.service.demand.contacts_per_year = contacts
    notes[("demand", "contacts_per_year")] = (
        f"D: every contact, children coming back included, set so that the service's expected referrals "
        f"(sim.model.flows, with the MASH outcomes and returns below) equal {found.cited} referrals"
        f"{' (' + found.marker + ')' if found.source else ''}; E: no council publishes contacts")
    ratio = contacts / d["demand"]["contacts_per_year"]
    for g, g0 in zip(s["workforce"]["mash"]["groups"], d["workforce"]["mash"]["groups"]):
        g["count"] = max(1, round(g0["count"] * ratio)) if g is s["workforce"]["mash"]["groups"][0] \
            else round(g0["count"] * ratio)
    notes[("workforce", "mash")] = (f"E: the default service's MASH team scaled by contacts "
                                    f"(x{ratio:.2f}); no council publishes MASH posts")


# --------------------------------------------------------------------------- the YAML file

WIDTH = 100


def _scalar(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if x is None:
        return "null"
    if isinstance(x, float):
        text = repr(round(x, 6))
        # YAML 1.1 (PyYAML) reads 1e-05 as a string: write small values out in full.
        return f"{round(x, 6):.6f}".rstrip("0") if "e" in text else text
    if isinstance(x, (int,)):
        return str(x)
    text = yaml.safe_dump(x, default_flow_style=True, width=10_000).strip()
    return text[:-4].strip() if text.endswith("...") else text


def _flow(x: Any) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ", ".join(_flow(v) for v in x) + "]"
    return _scalar(x)


def _plain(x: Any) -> bool:
    return not isinstance(x, (dict, list)) or (isinstance(x, list) and all(_plain(v) and not isinstance(v, list)
                                                                             for v in x))


def _comment(note: str, indent: str) -> list[str]:
    lines = textwrap.wrap(note, WIDTH - len(indent) - 5)
    return [f"{indent}# {lines[0]}"] + [f"{indent}#    {line}" for line in lines[1:]]


def _emit(tree: dict, notes: dict[tuple, str], path: tuple, depth: int, out: list[str]) -> None:
    indent = "  " * depth
    for key, value in tree.items():
        p = (*path, key)
        note = notes.get(p)
        own_notes = any(q[: len(p)] == p and q != p for q in notes)
        if note:
            out.extend(_comment(note, indent))
        if _plain(value):
            out.append(f"{indent}{key}: {_flow(value)}")
        elif isinstance(value, dict) and depth >= 1 and not own_notes and all(_plain(v) for v in value.values()) \
                and len(f"{indent}{key}: {_flow(value)}") <= WIDTH:
            out.append(f"{indent}{key}: {_flow(value)}")
        elif isinstance(value, dict):
            out.append(f"{indent}{key}:")
            _emit(value, notes, p, depth + 1, out)
        else:  # a list of groups
            out.append(f"{indent}{key}:")
            out.extend(f"{indent}  - {_flow(v)}" for v in value)
        if depth == 0:
            out.append("")


def service_yaml(cal: Calibration) -> str:
    """The calibrated service as a commented YAML file like configs/service/nottingham.yaml."""
    notes = dict(cal.notes)
    for section, value in cal.service.items():
        if isinstance(value, dict) and (section,) not in notes and section != "calibration":
            notes[(section,)] = (f"E: as in the default service (configs/service/{DEFAULT_SERVICE}.yaml) unless "
                                 "marked below")
    notes[("calibration",)] = ("R: the published figures the values below were set from (caseflow validate "
                               "marks these in_sample)")
    out = [f"# {line}" for line in cal.header] + [""]
    _emit(cal.service, notes, (), 0, out)
    text = "\n".join(out).rstrip() + "\n"
    if yaml.safe_load(text) != cal.service:  # the writer must never change a value
        raise AssertionError("the calibrated service's YAML does not read back as written")
    return text
