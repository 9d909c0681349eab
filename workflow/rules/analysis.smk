# The analysis: one dataset of derived patient variables, then one step per table, then
# one registry of every number the manuscript may quote.


rule analysis_dataset:
    input:
        **rules.validate_cohort.output,
        codebook=CODEBOOK,
        code=step_code("analysis_dataset"),
    output:
        patients="results/analysis/patients.csv",
    log:
        "results/logs/analysis_dataset.log",
    resources:
        heavy=HEAVY,
    run:
        run_step("analysis_dataset", input, output, params, wildcards, log, resources)


# The flow from enrolment to analysis and through follow-up (from the analysis
# dataset), for a study whose layout has that step.
if HAS_PATIENT_FLOW:

    rule patient_flow:
        input:
            enrollment=rules.validate_cohort.output.enrollment,
            patients=rules.analysis_dataset.output.patients,
            codebook=CODEBOOK,
            code=step_code("patient_flow"),
        output:
            table="results/tables/patient_flow.csv",
            markdown="results/tables/patient_flow.md",
            numbers="results/numbers/patient_flow.json",
        log:
            "results/logs/patient_flow.log",
        resources:
            heavy=HEAVY,
        run:
            run_step("patient_flow", input, output, params, wildcards, log, resources)


rule make_table:
    input:
        patients=rules.analysis_dataset.output.patients,
        codebook=CODEBOOK,
        settings=settings_files("statistics", "decimals", "study_package"),
        code=table_code,
    output:
        csv=report(
            "results/tables/{table}.csv",
            caption="../report/table.rst",
            category="Tables",
        ),
        markdown="results/tables/{table}.md",
        numbers="results/numbers/{table}.json",
    log:
        "results/logs/{table}.log",
    wildcard_constraints:
        table="|".join(TABLES),
    resources:
        heavy=HEAVY,
    run:
        run_step("make_table", input, output, params, wildcards, log, resources)


rule numbers_registry:
    input:
        parts=PATIENT_FLOW_NUMBERS
        + expand("results/numbers/{table}.json", table=TABLES)
        + expand("results/numbers/figure_{figure}.json", figure=FIGURES)
        + AUDIT_NUMBERS,
        code=step_code("numbers_registry"),
    output:
        numbers="results/numbers.json",
    log:
        "results/logs/numbers_registry.log",
    run:
        run_step("numbers_registry", input, output, params, wildcards, log)
