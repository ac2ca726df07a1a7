"""Reporting for people: a self-contained HTML page per submission and one for the class.

Pages open offline (styles inline, plots as inline SVG), read on a phone and in print,
and are rendered with autoescaping, so nothing a submission prints can become markup.
"""
