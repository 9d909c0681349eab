# The audit: every published number against the cohort and against the paper itself.


rule audit:
    input:
        published="data/published.yaml",
        relations="data/published_checks.yaml",
        acknowledgements="config/audit.yaml",
        codebook=CODEBOOK,
        patients=rules.analysis_dataset.output.patients,
        enrollment=rules.validate_cohort.output.enrollment,
        numbers=expand("results/numbers/{table}.json", table=TABLE_MODULES),
        code=package_code("audit", "published", "step_search", "analysis_dataset"),
    output:
        csv="results/audit/audit.csv",
        markdown="results/audit/audit.md",
        html="results/audit/audit.html",
        numbers="results/numbers/audit.json",
    log:
        "results/logs/audit.log",
    params:
        strict=config["audit_strict"],
        synthetic=config["synthetic_cohort"],
    run:
        run_step("audit", input, output, params, wildcards, log)
