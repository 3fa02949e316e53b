"""Markdown in text the portal writes for its own pages (the API docs' descriptions),
rendered and cleaned by the guidance renderer (records.rendering: Python-Markdown, then
nh3 against the guidance allow-list), so `code` and **bold** show as such."""

import re

from django import template
from django.utils.safestring import mark_safe

from records.rendering import render_markdown

register = template.Library()

_ONE_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)


@register.filter
def markdown(text):
    """{{ text|markdown }}: block Markdown (paragraphs, lists) as clean HTML."""
    return mark_safe(render_markdown(text or ""))  # cleaned by nh3


@register.filter
def markdown_inline(text):
    """{{ text|markdown_inline }}: one paragraph of Markdown without its <p>, for a table
    cell; longer text keeps its paragraphs."""
    html = render_markdown(text or "").strip()
    match = _ONE_PARAGRAPH.match(html)
    return mark_safe(match.group(1) if match and "<p>" not in match.group(1) else html)
