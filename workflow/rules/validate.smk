# First step of the DAG: the cohort CSVs are checked against the codebook. Every later
# rule reads the validated tables in results/validated/, never the raw CSVs.


rule validate_cohort:
    input:
        tables=existing_cohort_files,
        codebook=CODEBOOK,
        settings=settings_files("data_dir", "study_package"),
        code=step_code("validate_cohort", *study_specs("CROSS_TABLE_RULES")),
    output:
        **{name: f"results/validated/{name}.csv" for name in COHORT_FILES},
    log:
        "results/logs/validate_cohort.log",
    run:
        run_step("validate_cohort", input, output, params, wildcards, log)
