"""Reference data shipped with caseflow: the DfE's published statistics for English councils.

The tables are package data (``sim/reference/dfe/``) so that a run never depends on files
outside the installed package; :mod:`sim.reference.published` reads them.
"""
