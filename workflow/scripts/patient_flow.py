"""Count the patient flow per arm and register every count."""

import logging
from pathlib import Path

from vertebroplasty.cohort import read_table
from vertebroplasty.patient_flow import (
    patient_flow_markdown,
    patient_flow_numbers,
    summarise_patient_flow,
)
from vertebroplasty.registry import NumbersRegistry
from vertebroplasty.step import run_step

log = logging.getLogger(__name__)


def main(enrollment: Path, table: Path, markdown: Path, numbers: Path) -> None:
    flow = summarise_patient_flow(read_table(enrollment))
    flow.to_csv(table, index=False, lineterminator="\n")
    Path(markdown).write_text(patient_flow_markdown(flow), encoding="utf-8")
    registry = NumbersRegistry(patient_flow_numbers(flow, source=f"{table}"))
    registry.to_json(numbers)
    log.info("patient flow: %d stages x %d arms", flow["stage"].nunique(), flow["arm"].nunique())


if __name__ == "__main__":
    run_step(
        main,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        enrollment=snakemake.input.enrollment,  # noqa: F821
        table=snakemake.output.table,  # noqa: F821
        markdown=snakemake.output.markdown,  # noqa: F821
        numbers=snakemake.output.numbers,  # noqa: F821
    )
