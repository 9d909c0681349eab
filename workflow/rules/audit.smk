# The audit: every published number against the cohort and against the paper itself.
# Only for a study with the published paper's numbers (data/published.yaml).
if AUDITED:

    rule audit:
        input:
            published="data/published.yaml",
            relations="data/published_checks.yaml",
            acknowledgements="config/audit.yaml",
            settings=settings_files("audit_strict", "synthetic_cohort"),
            codebook=CODEBOOK,
            patients=rules.analysis_dataset.output.patients,
            enrollment=rules.validate_cohort.output.enrollment,
            numbers=expand("results/numbers/{table}.json", table=TABLES),
            code=step_code("audit"),
        output:
            csv="results/audit/audit.csv",
            markdown="results/audit/audit.md",
            numbers="results/numbers/audit.json",
            table=AUDIT_TABLE[0],
        log:
            "results/logs/audit.log",
        resources:
            heavy=HEAVY,
        run:
            run_step("audit", input, output, params, wildcards, log, resources)

    rule audit_report:
        input:
            markdown=rules.audit.output.markdown,
            code=step_code("audit_report"),
        output:
            html="results/audit/audit.html",
        log:
            "results/logs/audit_report.log",
        run:
            run_step("audit_report", input, output, params, wildcards, log)
