#!/bin/sh
# Report a job started by submit.sh as `running`, `success` or `failed`: the
# cluster-generic executor's status command, called as `status.sh ID` in the repository.
set -eu
pid=${1%%-*}
key=${1#*-}
exit_file=.snakemake/cluster-local/$key.exit
ended() {
    if [ "$(cat "$exit_file")" = 0 ]; then echo success; else echo failed; fi
}
alive() {
    # The process is the job's only while its command line holds the job's key (a PID
    # is reused once its process has ended). -ww: never cut the line at 80 columns.
    ps -ww -p "$pid" -o args= 2>/dev/null | grep -q -- "$key"
}
if [ -f "$exit_file" ]; then
    ended
elif alive; then
    echo running
elif [ -f "$exit_file" ]; then
    ended # it ended between the two looks
else
    echo failed # it ended without an exit code: it was killed
fi
