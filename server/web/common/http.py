"""How the app reads an HTTP request, for every audience at once (registered by `common`).

- `<int:...>` in any route is `BoundedInt`: ASCII digits, at most SQLite's INTEGER; a larger
  number is `bad_request` naming the path's field (werkzeug's would reach SQLite and raise
  OverflowError, a 500).
- `QmsRequest.args`: a query string that is not UTF-8 (raw bytes, not percent-escaped) keeps
  its bad bytes percent-escaped, as werkzeug already does for escaped ones, rather than raising
  UnicodeDecodeError (a 500 on every page, the language switch reads `lang`).
- `QmsRequest.get_json`: a body nested too deeply for the parser (`[[[[...]]]]`) is
  `bad_request`, not RecursionError.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import BadRequest as HttpBadRequest
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter
from werkzeug.utils import cached_property

from ... import wire
from ...errors import BadRequest, QmsError


class BadPathValue(HttpBadRequest):
    """A path segment that matched a route but is not a usable value (raised while routing,
    where only werkzeug's HTTP exceptions are caught); answered as the QmsError it carries."""

    def __init__(self, error: QmsError):
        super().__init__(str(error))
        self.error = error


class BoundedInt(NumberConverter):
    """`<int:name>`: ASCII digits, 0 ..= 2**63 - 1."""

    regex = r"[0-9]+"
    num_convert = int
    part_isolating = True

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits, 0 if min is None else min, wire.MAX_INT if max is None else max,
                         signed=False)
        self.field = "?"

    def to_python(self, value: str) -> int:
        try:
            return wire.integer(value, self.field, self.min, self.max)
        except QmsError as exc:
            raise BadPathValue(exc) from None


class QmsRule(Rule):
    """A rule whose converters know the name of their path field (for the error message)."""

    def get_converter(self, variable_name, converter_name, args, kwargs):
        converter = super().get_converter(variable_name, converter_name, args, kwargs)
        converter.field = variable_name
        return converter


class QmsRequest(Request):
    @cached_property
    def args(self):
        query = self.query_string.decode("utf-8", errors="werkzeug.url_quote")
        return self.parameter_storage_class(parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"))

    def get_json(self, force=False, silent=False, cache=True):
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest("nội dung JSON lồng nhau quá sâu") from None


def register(app) -> None:
    """Before any blueprint adds a rule."""
    app.request_class = QmsRequest
    app.url_rule_class = QmsRule
    app.url_map.converters["int"] = BoundedInt
