# First step of the DAG: the cohort (CSVs, SPSS files, an Excel workbook or a REDCap
# export, as config's data_source says) is checked against the codebook. Every later
# rule reads the validated tables in results/validated/, never the source files.


rule validate_cohort:
    input:
        tables=existing_cohort_files,
        codebook=CODEBOOK,
        settings=source_settings(),
        code=step_code("validate_cohort", *study_specs("CROSS_TABLE_RULES")),
    output:
        **{name: f"results/validated/{name}.csv" for name in COHORT_FILES},
    log:
        "results/logs/validate_cohort.log",
    resources:
        heavy=HEAVY,
    run:
        run_step("validate_cohort", input, output, params, wildcards, log, resources)
