# Sourced by the setup scripts: Debian packages, installed the one way.

# apt_install PKG...: install the packages (as root, without recommends), after one
# `apt-get update` in the last hour of this machine (a second setup script in the same
# run does not update again). Not root: print the command to run and return 1.
apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: $* missing; as root run:" >&2
        echo "    apt-get update && apt-get install -y --no-install-recommends $*" >&2
        return 1
    fi
    echo "setup: installing Debian's $* (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    # apt-get dates its lists by the archive's clock, so the hour is kept by a stamp
    # (in root's /run: no other user can make it skip the update).
    local stamp=/run/dcgan-apt-update.stamp
    if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
        apt-get update -qq && touch "$stamp"
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
