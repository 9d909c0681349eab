"""Analysis and rendering code behind the PVP+ITR versus PVP manuscript.

The Snakemake rules in ``workflow/rules`` call into this package; every function
here can be imported and tested without Snakemake.
"""
