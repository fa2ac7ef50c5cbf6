"""Reports for people, made from what a run folder holds: the workbook (``workbook``), charts
(``charts``), the HTML report (``html``) and the sentences of its findings (``findings``).

Everything here reads finished tables (forecast.csv, summary.csv, comparison.csv,
validation.csv) and never the model: a report can be rebuilt from a folder alone
(``caseflow report``)."""
