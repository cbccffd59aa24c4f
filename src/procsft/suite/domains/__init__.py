"""The built-in skills, one module per domain."""

from procsft.suite.domains import algorithms, dates, finance, geometry, lists, logic, text, units

DOMAIN_MODULES = (finance, dates, units, text, lists, logic, geometry, algorithms)
