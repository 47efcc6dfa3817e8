"""Flowker's catalog: providers and executors, one module per provider.

Importing this package registers every built-in provider in ``core.executors``. Adding a
provider is adding one module and one line to ``_BUILT_IN``.
"""

import importlib

_BUILT_IN = ("catalog.http", "catalog.tracer", "catalog.midaz", "catalog.triggers", "catalog.templates", "catalog.endpoints")

for _name in _BUILT_IN:
    importlib.import_module(_name)
