"""The GBSG-2 example study: its analysis dataset, tables and Kaplan–Meier figure.

Everything generic (validation, summaries, survival statistics, rendering, conversion)
is the engine's (``manuscript_engine``); ``layout`` tells its rules what this study
builds.
"""
