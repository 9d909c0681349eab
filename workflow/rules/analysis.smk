# Tables and numbers computed from the cohort.


rule patient_flow:
    input:
        enrollment=rules.validate_cohort.output.enrollment,
        code=package_code("cohort", "formatting", "patient_flow", "registry"),
    output:
        table="results/tables/patient_flow.csv",
        numbers="results/numbers/patient_flow.json",
    log:
        "results/logs/patient_flow.log",
    conda:
        ENVIRONMENT
    script:
        "../scripts/patient_flow.py"
