"""The jinja2 environment every renderer uses: templates from files/templates, strict about
undefined names, XML-escaped only for XML."""

from __future__ import annotations

import jinja2

from lvsha.paths import TEMPLATES

_text = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)
_xml = _text.overlay(autoescape=True)


def render(name: str, **context: object) -> str:
    return _text.get_template(name).render(**context)


def render_xml(name: str, **context: object) -> str:
    return _xml.get_template(name).render(**context)
