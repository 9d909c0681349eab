"""`make bench`: how fast the build is, against the floor of this machine.

Every figure is the median of three runs, all measured in one session on a copy of the
repository (so `results/` here is left alone):

* the floor: a bare one-rule Snakemake no-op; one Python importing pandas, SciPy and
  matplotlib; pandoc to HTML, DOCX and Typst; one Typst compile;
* a cold build, a no-op build, and rebuilds after a template edit, a figure-code edit
  and a one-value data edit (time and jobs rerun);
* cold builds on cohorts of 1,000, 10,000, 100,000 and 1,000,000 patients, with peak
  memory (of the whole build: Snakemake, the fork server and its step workers, each
  process counted by its proportional share, sampled every 20 ms by
  :class:`devtools.process_memory.Sampler`);
* validation of a cohort whose visits.csv holds every row 25 times (in this process).

It prints a table with each target beside its figure.
"""

from __future__ import annotations

import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path.cwd()  # run from the repository (make bench)
PYTHON = sys.executable
RUNS = 3
SCALED = {1_000: None, 10_000: None, 100_000: 3, 1_000_000: 8}
"""Cohort sizes and the most their cold build may take, in cold builds of the shipped
cohort, in under 2 GB of memory (1,000 and 10,000 patients are timed without a target)."""
LARGEST_RUNS = 1
"""Builds of the 1,000,000-patient cohort (minutes each on the development machine)."""
DUPLICATE_COPIES = 25
"""Copies of every visit row in the duplicates benchmark (20,900 rows, all duplicates)."""


def timed(command: list[str], cwd: Path, memory: bool = False) -> tuple[float, int, str]:
    """Wall time, peak memory (KB, 0 unless ``memory``) of the command's processes, and
    its output. Sampling the memory costs a little CPU, so only the scaled builds do."""
    import psutil

    from devtools.process_memory import Sampler

    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        sampler = Sampler(psutil.Process(process.pid)) if memory else None
        code = process.wait()
        elapsed = time.perf_counter() - started
        if sampler:
            sampler.stop()
        output.seek(0)
        text = output.read()
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return elapsed, (sampler.peak // 1024 if sampler else 0), text


RENDER_AND_FORMATS = {
    "render_markdown",
    "document_tree",
    "to_html",
    "to_docx",
    "to_typst",
    "compile_pdf",
    "to_jats",
    "check_formats",
    "check_journal",
    "mask_document",
    "checklist",
    "manifest",
    "submission_bundle",
}
"""The rules a template-only edit may rerun: rendering, conversions, their checks, the
journal's checks and masked copy, the checklist and the bundle that carries them."""


def snakemake(workdir: Path, *args: str, memory: bool = False) -> tuple[float, int, list[str]]:
    """Wall time, peak memory (with ``memory``) and the rules of the jobs that ran."""
    elapsed, peak, output = timed(
        [PYTHON, "-m", "snakemake", "--cores", "4", *args], workdir, memory=memory
    )
    jobs = re.findall(r"^localrule (?!all:)(\w+):", output, flags=re.MULTILINE)
    return elapsed, peak, jobs


def median(values) -> float:
    return statistics.median(values)


def copy_repository(target: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target / name)
    return target


def clean(workdir: Path) -> None:
    shutil.rmtree(workdir / "results", ignore_errors=True)
    shutil.rmtree(workdir / ".snakemake", ignore_errors=True)


def floor(workdir: Path, scratch: Path) -> dict[str, float]:
    import pypandoc

    bare = scratch / "bare"
    bare.mkdir()
    (bare / "Snakefile").write_text('rule all:\n    output: "done"\n    shell: "touch {output}"\n')
    subprocess.run(
        [PYTHON, "-m", "snakemake", "--cores", "1", "-q"], cwd=bare, capture_output=True, check=True
    )
    figures = {"noop": [], "imports": [], "pandoc": [], "typst": []}
    markdown = workdir / "results/manuscript/manuscript.md"
    for _ in range(RUNS):
        figures["noop"].append(timed([PYTHON, "-m", "snakemake", "--cores", "1", "-q"], bare)[0])
        figures["imports"].append(
            timed([PYTHON, "-c", "import pandas, scipy.stats, matplotlib.pyplot"], bare)[0]
        )
        total = 0.0
        for fmt, suffix in (("html5", "html"), ("docx", "docx"), ("typst", "typ")):
            total += timed(
                [
                    pypandoc.get_pandoc_path(),
                    str(markdown),
                    "-s",
                    "-t",
                    fmt,
                    "-o",
                    str(scratch / f"floor.{suffix}"),
                ],
                bare,
            )[0]
        figures["pandoc"].append(total)
        typst_source = workdir / "results/manuscript/manuscript.typ"
        figures["typst"].append(
            timed(
                [
                    PYTHON,
                    "-c",
                    "import typst, sys; typst.compile(sys.argv[1],"
                    " output=sys.argv[2], root=sys.argv[3])",
                    str(typst_source),
                    str(scratch / "floor.pdf"),
                    str(workdir),
                ],
                bare,
            )[0]
        )
    result = {name: median(values) for name, values in figures.items()}
    result["total"] = sum(result.values())
    return result


def edit_and_rebuild(workdir: Path, path: str, change, *args: str) -> tuple[float, int]:
    times, jobs, rules = [], [], set()
    for run in range(RUNS):
        target = workdir / path
        target.write_text(change(target.read_text(), run))
        elapsed, _, ran = snakemake(workdir, *args)
        times.append(elapsed)
        jobs.append(len(ran))
        rules.update(ran)
    return median(times), int(median(jobs)), rules


def toggle_value(text: str, run: int) -> str:
    """Change one VAS value in visits.csv (a different direction each run)."""
    lines = text.splitlines()
    fields = lines[5].split(",")
    fields[2] = f"{float(fields[2]) + (0.5 if float(fields[2]) < 10 else -0.5):.1f}"
    lines[5] = ",".join(fields)
    return "\n".join(lines) + "\n"


def validate_duplicates(workdir: Path, folder: Path, copies: int) -> tuple[float, float, int]:
    """Seconds to validate the shipped cohort, and the cohort with visits.csv's rows repeated.

    Timed in this process, so the figures are validation's alone. Each repeated row is a
    problem that names its copies: reporting them one lookup at a time took minutes at
    25 copies (20,900 duplicates). Returns both times and the number of problems.
    """
    from manuscript_engine.data.cohort import load_codebook
    from manuscript_engine.data.validation import CohortInvalid, validate_cohort

    shutil.copytree(workdir / "data/raw", folder)
    visits = folder / "visits.csv"
    header, *rows = visits.read_text(encoding="utf-8").splitlines()
    visits.write_text("\n".join([header, *rows * copies]) + "\n", encoding="utf-8")
    codebook = load_codebook(workdir / "data/codebook.yaml")
    validate_cohort(workdir / "data/raw", codebook)  # imports pandera once, outside the timing
    shipped, repeated = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        validate_cohort(workdir / "data/raw", codebook)
        shipped.append(time.perf_counter() - started)
        started = time.perf_counter()
        try:
            validate_cohort(folder, codebook)
        except CohortInvalid as invalid:
            problems = len(invalid.problems)
        else:
            raise RuntimeError(f"validation accepted {copies} copies of every visit")
        repeated.append(time.perf_counter() - started)
    return median(shipped), median(repeated), problems


def main() -> int:
    from devtools.scale_cohort import scale_cohort

    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        workdir = copy_repository(scratch / "repo")
        cold = []
        for _ in range(RUNS):
            clean(workdir)
            cold.append(snakemake(workdir)[0])
        base = floor(workdir, scratch)
        noop = median([snakemake(workdir)[0] for _ in range(RUNS)])
        cold_median = median(cold)
        template, template_jobs, template_rules = edit_and_rebuild(
            workdir,
            "templates/sections/02-introduction.md.j2",
            lambda text, run: text + f"\nA sentence added for the benchmark, run {'abc'[run]}.\n",
        )
        figure_code, figure_jobs, _ = edit_and_rebuild(
            workdir,
            "workflow/vertebroplasty/figures.py",
            lambda text, run: text + f"\n# benchmark edit {run}\n",
        )
        data, data_jobs, _ = edit_and_rebuild(
            workdir, "data/raw/visits.csv", toggle_value, "--config", "audit_strict=false"
        )
        scaled = {}
        for patients in SCALED:
            folder = scratch / f"cohort_{patients}"
            scale_cohort(patients, folder)
            runs = []
            for _ in range(LARGEST_RUNS if patients == max(SCALED) else RUNS):
                clean(workdir)
                runs.append(
                    snakemake(
                        workdir,
                        "--config",
                        f"data_dir={folder}",
                        "audit_strict=false",
                        "synthetic_cohort=false",
                        # a registry's r×c tables are beyond exact enumeration
                        "statistics={fisher_rxc: monte_carlo}",
                        memory=True,
                    )
                )
            scaled[patients] = (median(r[0] for r in runs), max(r[1] for r in runs))
        shipped, duplicated, duplicates = validate_duplicates(
            workdir, scratch / "duplicates", DUPLICATE_COPIES
        )

    def row(name, value, target, ok):
        rows.append((name, value, target, "yes" if ok else "NO"))

    row("floor: bare Snakemake no-op", f"{base['noop']:.2f} s", "", True)
    row("floor: import pandas, SciPy, matplotlib", f"{base['imports']:.2f} s", "", True)
    row("floor: pandoc to HTML + DOCX + Typst", f"{base['pandoc']:.2f} s", "", True)
    row("floor: one Typst compile", f"{base['typst']:.2f} s", "", True)
    row("floor: total", f"{base['total']:.2f} s", "", True)
    row(
        "cold build",
        f"{cold_median:.2f} s ({cold_median / base['total']:.2f} x floor)",
        "<= 2.5 x floor",
        cold_median <= 2.5 * base["total"],
    )
    row(
        "no-op build",
        f"{noop:.2f} s ({noop / base['noop']:.2f} x bare no-op)",
        "<= 1.3 x bare no-op",
        noop <= 1.3 * base["noop"],
    )
    row(
        "template edit",
        f"{template:.2f} s, {template_jobs} jobs ({template / cold_median:.2f} x cold)"
        + "".join(f", also {rule}" for rule in sorted(template_rules - RENDER_AND_FORMATS)),
        "render + formats only, <= 0.4 x cold",
        template <= 0.4 * cold_median and template_rules <= RENDER_AND_FORMATS,
    )
    row("figure-code edit", f"{figure_code:.2f} s, {figure_jobs} jobs", "", True)
    row("one-value data edit", f"{data:.2f} s, {data_jobs} jobs", "", True)
    for patients, (elapsed, peak) in scaled.items():
        ratio, most = elapsed / cold_median, SCALED[patients]
        once = " (one run)" if patients == max(SCALED) and LARGEST_RUNS == 1 else ""
        row(
            f"cold build, {patients:,} patients",
            f"{elapsed:.2f} s ({ratio:.2f} x cold), peak {peak / 1024:.0f} MB{once}",
            f"<= {most} x cold, < 2 GB" if most else "",
            most is None or (ratio <= most and peak < 2 * 1024 * 1024),
        )
    row(
        f"validation, visits.csv x {DUPLICATE_COPIES}",
        f"{duplicated:.2f} s, {duplicates:,} duplicate rows "
        f"({duplicated / shipped:.1f} x the shipped cohort's {shipped:.2f} s)",
        f"<= {DUPLICATE_COPIES} x the shipped cohort's",
        duplicated <= DUPLICATE_COPIES * shipped,
    )
    print(
        f"Benchmark on {platform.node()} ({platform.machine()}, Python "
        f"{platform.python_version()}), median of {RUNS} runs\n"
    )
    widths = [
        max(len(r[i]) for r in rows + [("measure", "figure", "target", "met")]) for i in range(4)
    ]
    header = ("measure", "figure", "target", "met")
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
