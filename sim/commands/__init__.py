"""caseflow's commands, one module each: ``run`` (a forecast or a sweep), ``compare``, ``help``.

``sim.cli`` only chooses among them; each reads its arguments through ``sim.inputs``.
"""
