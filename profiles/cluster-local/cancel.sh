#!/bin/sh
# Stop jobs started by submit.sh: the cluster-generic executor's cancel command, called
# with one or more job ids when the build is interrupted. Each job is a process group
# (the Python inside included) whose id is the job's PID: `kill -TERM -PGID`.
# (No `--` before it: dash, Debian's /bin/sh, takes that for a process id.)
for id in "$@"; do
    kill -TERM "-${id%%-*}" 2>/dev/null || true
done
