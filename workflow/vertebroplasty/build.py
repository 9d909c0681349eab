"""`make paper`: run Snakemake and show an author what matters.

On success: where the manuscript is. On failure: only the build's own error messages
(they say what to change and where), and where the full log is. ``--verbose`` (or
``make paper VERBOSE=1``) shows Snakemake's complete output, stack traces included.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

OUTPUTS = "results/manuscript/manuscript.{md,html,docx,pdf}"
ERROR_START = re.compile(r"^(ERROR: |\w+(Invalid|Problem|Error) in file .*Snakefile.*:$)")
NOISE = re.compile(
    r"^(  File |RuleException|CalledProcessError|\[\w{3} \w{3}|Error in rule|"
    r"Removing output|Shutting down|Exiting because|Complete log|WorkflowError|"
    r"At least one job|    \w+: )"
)


def author_errors(output: str) -> list[str]:
    """The build's own messages from Snakemake's output, without Snakemake's noise."""
    blocks, current = [], None
    for line in output.splitlines():
        if ERROR_START.match(line):
            current = [line.removeprefix("ERROR: ")]
            blocks.append(current)
        elif current is not None:
            if NOISE.match(line):
                current = None
            else:
                current.append(line)
    return ["\n".join(block).strip() for block in blocks if "".join(block).strip()]


def warnings(output: str) -> list[str]:
    """Warning blocks the steps printed (a 'WARNING:' line and its indented items)."""
    blocks: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("WARNING"):
            blocks.append([line])
        elif blocks and line.startswith(("  - ", "If each")):
            blocks[-1].append(line)
    return ["\n".join(block) for block in blocks]


def failed_logs(output: str) -> list[str]:
    return sorted(set(re.findall(r"log: (results/logs/\S+\.log)", output)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="show Snakemake's full output")
    parser.add_argument("--cores", default="4")
    parser.add_argument("targets", nargs="*", help="files or rules to build (default: all)")
    args, extra = parser.parse_known_args(argv)
    command = [sys.executable, "-m", "snakemake", "--cores", args.cores, *extra, *args.targets]
    result = subprocess.run(command, capture_output=not args.verbose, text=True)
    if args.verbose:
        return result.returncode
    output = (result.stdout or "") + (result.stderr or "")
    if result.returncode == 0:
        for warning in warnings(output):
            print(warning + "\n")
        if not args.targets:
            print(f"The manuscript is up to date: {OUTPUTS}")
        return 0
    errors = author_errors(output)
    print("The build stopped.\n", file=sys.stderr)
    for error in errors or [output.strip().splitlines()[-1] if output.strip() else "unknown"]:
        print(error + "\n", file=sys.stderr)
    logs = failed_logs(output)
    if logs:
        print("Details: " + ", ".join(logs), file=sys.stderr)
    print("Run `make paper VERBOSE=1` to see Snakemake's full output.", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
