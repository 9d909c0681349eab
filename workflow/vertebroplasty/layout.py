"""What this study builds, for the engine's rules: its steps, tables and figures.

Read when the Snakefile is parsed, so it holds names only and imports nothing. Each
entry names the function that does the work as ``"module:function"``; the engine
computes each job's code inputs from that function's imports, so editing
``table_scores.py`` reruns the scores table and what is built from it, nothing else.
"""

STEPS = {
    "analysis_dataset": "vertebroplasty.steps:analysis_dataset",
    "patient_flow": "vertebroplasty.steps:patient_flow",
}
"""The study's own steps, by the engine rule that runs each."""

CROSS_TABLE_RULES = "vertebroplasty.cross_table_rules:check_across_tables"
"""Validation rules that join the study's tables (run once every cell is valid)."""

TABLES = {
    "table_baseline": "vertebroplasty.table_baseline:table_baseline",
    "table_outcomes": "vertebroplasty.table_outcomes:table_outcomes",
    "table_scores": "vertebroplasty.table_scores:table_scores",
    "table_leakage_sites": "vertebroplasty.secondary_tables:table_leakage_sites",
    "table_pain_relief": "vertebroplasty.secondary_tables:table_pain_relief",
    "table_pain_course": "vertebroplasty.secondary_tables:table_pain_course",
    "table_asia_grades": "vertebroplasty.secondary_tables:table_asia_grades",
    "table_paraplegia": "vertebroplasty.secondary_tables:table_paraplegia",
    "table_asia_transitions": "vertebroplasty.secondary_tables:table_asia_transitions",
    "table_effects": "vertebroplasty.secondary_analyses:table_effects",
    "table_change": "vertebroplasty.secondary_analyses:table_change",
    "table_longitudinal": "vertebroplasty.secondary_analyses:table_longitudinal",
    "table_attrition": "vertebroplasty.follow_up:table_attrition",
    "table_fracture_incidence": "vertebroplasty.follow_up:table_fracture_incidence",
}
"""Each table and the function that builds it from the analysis dataset."""

FIGURES = {
    "patient_flow": {
        "draw": "vertebroplasty.figures:figure_patient_flow",
        "table": "patient_flow",
    },
    "scores_over_time": {
        "draw": "vertebroplasty.figures:figure_scores",
        "table": "table_scores",
    },
    "pain_relief": {
        "draw": "vertebroplasty.figures:figure_pain_relief",
        "table": "table_pain_relief",
    },
    "asia_shift": {
        "draw": "vertebroplasty.figures:figure_asia_shift",
        "table": "table_asia_transitions",
    },
    "leakage_sites": {
        "draw": "vertebroplasty.figures:figure_leakage",
        "table": "table_leakage_sites",
    },
    "adjusted_differences": {
        "draw": "vertebroplasty.figures:figure_adjusted_differences",
        "table": "table_longitudinal",
    },
}
"""Each figure, the function that draws it, and the table (results/tables/) it is drawn from."""

FIGURE_STYLE = {"svg.hashsalt": "pvp-itr-manuscript"}
"""The figures' SVG hash salt (any fixed text keeps the bytes stable)."""
