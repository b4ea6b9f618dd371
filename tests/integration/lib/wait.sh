# Bounded waits for the integration tests (source it; bash 5).
# wait_for SECONDS COMMAND...: runs COMMAND until it succeeds (returns 0) or
# SECONDS (a whole number) have passed (returns 1 after one last try),
# polling every 50 ms. COMMAND is run again each time: for a condition with
# expansions, pass it to eval in single quotes:
#   wait_for 5 eval '[ "$(grep -c ready "$log")" -ge 2 ]'
wait_for() {
    local limit=$1; shift
    local now=${EPOCHREALTIME/[.,]/}
    local deadline=$((now + limit * 1000000))
    while :; do
        "$@" && return 0
        now=${EPOCHREALTIME/[.,]/}
        [ "$now" -ge "$deadline" ] && { "$@"; return; }
        sleep 0.05
    done
}
