"""Percentiles and minutes between two times, computed in the database on PostgreSQL and SQLite.

`Percentile(expr, 0.9)` is PostgreSQL's `percentile_cont(0.9) WITHIN GROUP (ORDER BY expr)`:
the continuous percentile, interpolated between the two nearest values
(https://www.postgresql.org/docs/current/functions-aggregate.html#FUNCTIONS-ORDEREDSET-TABLE).
SQLite has no such aggregate, so each SQLite connection gets `medcamp_percentile`, a Python
aggregate (sqlite3's `create_aggregate`) computing the same interpolation: the rows never
leave the database's query, and one query answers whatever the number of rows.

`Minutes(start, end)` is the minutes from `start` to `end` as a float (NULL when either is).
"""

from __future__ import annotations

import math
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func

SQLITE_AGGREGATE = "medcamp_percentile"


def continuous(values: list[float], fraction: float) -> float | None:
    """The `fraction` percentile of `values`, interpolated as percentile_cont does; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _SQLitePercentile:
    """sqlite3 aggregate: step(value, fraction) per row, finalize() the percentile."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return continuous(self.values, self.fraction)


class Percentile(Aggregate):
    """The continuous percentile of an expression (fraction from 0 to 1)."""

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= float(fraction) <= 1:
            raise ValueError(f"a percentile's fraction is from 0 to 1, not {fraction!r}")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        clone = self.copy()
        clone.function = SQLITE_AGGREGATE
        clone.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return clone.as_sql(compiler, connection, **extra)


class Minutes(Func):
    """Minutes from `start` to `end`, a float."""

    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(start, end)

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            sql = f"((julianday({end}) - julianday({start})) * 1440.0)"
        else:
            sql = f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"
        return sql, [*end_params, *start_params]


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_AGGREGATE, 2, _SQLitePercentile)


def install() -> None:
    """Register the SQLite aggregate on every new connection (CoreConfig.ready)."""
    connection_created.connect(_on_connection, dispatch_uid="core.stats.percentile")
