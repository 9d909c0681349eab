# Settings as files: each rule reads the settings it uses from a file named for the
# value (results/settings/<key>-<digest>.json), written here by the build itself.


rule setting:
    output:
        "results/settings/{key}-{digest}.json",
    log:
        "results/logs/setting_{key}-{digest}.log",
    wildcard_constraints:
        key="[a-z_]+",
        digest="[0-9a-f]{16}",
    run:
        run_step("write_setting", input, output, config, wildcards, log)
