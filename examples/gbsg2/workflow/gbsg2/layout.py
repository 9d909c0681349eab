"""What the GBSG-2 example builds, for the engine's rules: names only, nothing imported."""

STEPS = {"analysis_dataset": "gbsg2.steps:analysis_dataset"}
"""The study's own steps (no patient flow: the records hold analysed patients only)."""

CROSS_TABLE_RULES = "gbsg2.cross_table_rules:one_row_per_patient"
"""Validation across the tables: every enrolled patient in every table, once."""

TABLES = {
    "table_baseline": "gbsg2.tables:table_baseline",
    "table_survival": "gbsg2.tables:table_survival",
    "table_at_risk": "gbsg2.tables:table_at_risk",
}
"""Each table and the function that builds it from the analysis dataset."""

FIGURES = {"km_rfs": {"draw": "gbsg2.figures:kaplan_meier", "table": "table_at_risk"}}
"""The Kaplan–Meier figure, drawn from the curves table_at_risk writes."""
