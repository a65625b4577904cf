# pip / pip3 / pip3.X / python -m pip (h_name says which; h_pipname is what it logs as:
# "pip(new)" for the pip that `pip install -U pip` installs at /usr/local/bin; h_venv is set
# in a venv's bin/pip). Models:
#   install   -r FILE / -c FILE must exist, -e DIR must hold setup.py/pyproject.toml/setup.cfg,
#             a path or .whl must exist (exit 1 otherwise); writes a marker per package in
#             site-packages (/usr/local/lib/python3/dist-packages, the venv's, --user's, --target,
#             --prefix); keeps each download in the cache (~/.cache/pip, PIP_CACHE_DIR,
#             --cache-dir) unless --no-cache-dir or PIP_NO_CACHE_DIR is set.
#             Installing pip itself (-U pip) outside a venv puts a new pip at /usr/local/bin.
#   download / wheel   write the files to -d/-w (and the cache)
#   uninstall          removes the markers
# h_pip_logged=1 when the caller (python -m pip) has logged the call already.
[ -n "${h_pip_logged-}" ] || h_call "${h_pipname:-$h_name}" "$h_name" "$@"
h_scan pip "$@"
[ -z "${HOME-}" ] && HOME=/
cache=${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}
h_val --cache-dir && cache=$h_v
nocache=
[ -n "${PIP_NO_CACHE_DIR-}" ] && nocache=1
h_save_ifs=$IFS; IFS=$h_nl
for o in $h_opts; do
  case $o in --no-cache-dir|--no-cache|--no-cache-d|--no-cache-di|--no-cache-dir=*) nocache=1;; esac
done
IFS=$h_save_ifs

site=/usr/local/lib/python3/dist-packages
[ -n "${h_venv-}" ] && site=$h_venv/lib/python3/site-packages
h_has --user && site=$HOME/.local/lib/python3/site-packages
h_val --prefix && site=$h_v/lib/python3/site-packages
h_val -t --target && site=$h_v

put_cache() {
  [ -n "$nocache" ] && return 0
  h_mark "$cache/http-v2/$1" "cached $1"
}

fail() { echo "ERROR: $*" >&2; exit 1; }

case $h_sub in
  install|download|wheel)
    h_save_ifs=$IFS; IFS=$h_nl
    for o in $h_opts; do
      case $o in
        -r=*|--requirement=*|-c=*|--constraint=*)
          f=${o#*=}; [ -f "$f" ] || { IFS=$h_save_ifs; fail "Could not open requirements file: [Errno 2] No such file or directory: '$f'"; };;
        -e=*|--editable=*)
          d=${o#*=}
          [ -f "$d/setup.py" ] || [ -f "$d/pyproject.toml" ] || [ -f "$d/setup.cfg" ] || { IFS=$h_save_ifs; fail "$d does not appear to be a Python project"; };;
      esac
    done
    pkgs=
    for o in $h_opts; do
      case $o in
        -r=*|--requirement=*) f=${o#*=}; while read -r line || [ -n "$line" ]; do
                                  case $line in ''|'#'*|-*) ;; *) pkgs="$pkgs$line$h_nl";; esac
                                done < "$f";;
        -e=*|--editable=*) h_safe "${o#*=}"; pkgs="${pkgs}editable-$h_r$h_nl";;
      esac
    done
    for p in $h_ops; do
      case $p in
        */*|*.whl|*.tar.gz|*.zip|.) [ -e "$p" ] || { IFS=$h_save_ifs; fail "Invalid requirement or missing file: '$p'"; }
                     b=${p##*/}; pkgs="$pkgs${b%%-[0-9]*}$h_nl";;
        *) pkgs="$pkgs$p$h_nl";;
      esac
    done
    IFS=$h_save_ifs
    dest=.
    h_val -d --dest -w --wheel-dir && dest=$h_v
    IFS=$h_nl
    for p in $pkgs; do
      n=${p%%[=<>~!;\[ ]*}
      [ -n "$n" ] || continue
      put_cache "$n"
      case $h_sub in
        download|wheel) h_mark "$dest/$n-1.0-py3-none-any.whl" "wheel $n";;
        install)
          h_mark "$site/$n/__init__.py" "# $n installed by ${h_pipname:-$h_name}"
          if [ "$n" = pip ] && [ -z "${h_venv-}" ] && ! h_has --user --target -t --prefix; then
            for b in pip pip3 pip3.12; do
              printf '#!/bin/dash\nh_name=%s\nh_pipname="pip(new)"\n. /.harness/lib.sh\n. /.harness/stubs/pip.sh\n' "$b" > /usr/local/bin/$b
              /bin/chmod 755 /usr/local/bin/$b
            done
          fi
          echo "Successfully installed $n-1.0";;
      esac
    done
    exit 0;;
  uninstall)
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $h_ops; do /bin/rm -rf "$site/$p"; done
    exit 0;;
  cache)
    case $h_sub2 in purge|remove) /bin/rm -rf "$cache";; esac
    exit 0;;
  *) exit 0;;
esac
