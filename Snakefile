# The PVP+ITR versus PVP manuscript. This folder is the study: config/, data/,
# templates/ and its package workflow/vertebroplasty/; the rules are the engine's
# (workflow/engine.smk), shared with every study built on it (see examples/).


include: "workflow/engine.smk"


rule all:
    default_target: True
    input:
        MANUSCRIPT_TARGETS,
