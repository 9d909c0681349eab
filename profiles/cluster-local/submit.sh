#!/bin/sh
# Start one Snakemake job script as a background process on this machine: a stand-in
# for a cluster's `sbatch` or `qsub`, called by the cluster-generic executor
# (config.yaml here) as `submit.sh RULE JOBSCRIPT`, in the repository.
#
# The job script runs `python -m snakemake ... --mode remote` for one job, so every job
# is a Python process of its own, in a session (process group) of its own that
# cancel.sh can stop whole. Its output goes to .snakemake/cluster-local/<key>.log and,
# when it ends, its exit code to <key>.exit. Prints the job id, `<pid>-<key>`, where
# the key (start time and this script's PID) tells the job apart from any later
# process that reuses the PID; and adds `<id> <rule>` to .snakemake/cluster-local/jobs.tsv.
set -eu
rule=$1
jobscript=$2
queue=.snakemake/cluster-local
key=$(date +%Y%m%dT%H%M%S)-$$
mkdir -p "$queue"
# A background command of a script is no process group leader, so setsid starts the
# new session in the same process: $! is the job's PID and its process group.
# The exit code is written under a hidden name and renamed: status.sh never reads half.
setsid sh -c '
    sh "$2" >"$1.log" 2>&1
    echo $? >"$1.exit.part" && mv "$1.exit.part" "$1.exit"
' cluster-local-job "$queue/$key" "$jobscript" </dev/null >/dev/null 2>&1 &
id=$!-$key
printf '%s\t%s\n' "$id" "$rule" >>"$queue/jobs.tsv"
echo "$id"
