"""The vertebroplasty study: its analysis dataset, tables, figures and audit mapping.

The generic machinery (registry, templates, validation, conversion, audit engine) is the
``manuscript_engine`` package; this package only says what this study computes.
``layout`` tells the engine's rules which steps, tables and figures exist.
"""
