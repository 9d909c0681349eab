# Figures: drawn from the tables the analysis wrote, so restyling a figure never
# recomputes a statistic.


rule figure:
    input:
        table=figure_table,
        codebook=CODEBOOK,
        settings=settings_files("study_package"),
        journal=JOURNAL_PROFILE,
        code=figure_code,
    output:
        svg=report(
            "results/figures/{figure}.svg",
            caption="../report/figure.rst",
            category="Figures",
        ),
        png="results/figures/{figure}.png",
        numbers="results/numbers/figure_{figure}.json",
    log:
        "results/logs/figure_{figure}.log",
    wildcard_constraints:
        figure="|".join(FIGURES),
    run:
        run_step("make_figure", input, output, params, wildcards, log)
