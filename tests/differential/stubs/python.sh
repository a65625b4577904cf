# python / python3 / python3.X. Models:
#   -m pip ...      pip (see pip.sh); after `pip install -U pip` the new pip (logged "pip(new)")
#   -m venv DIR     a venv: DIR/bin/{python,python3,pip,pip3} (stubs that install into DIR)
#   -c CODE, -V     nothing (exit 0); a script file must exist (exit 2)
h_call "$h_name" "$h_name" "$@"
while [ $# -gt 0 ]; do
  case $1 in
    -m) shift; mod=${1-}; [ $# -gt 0 ] && shift
        case $mod in
          pip)
            h_pip_logged=1
            if [ -z "${h_venv-}" ] && [ -x /usr/local/bin/pip ]; then h_pipname="pip(new)"; fi
            . /.harness/stubs/pip.sh;;
          venv|virtualenv)
            d=
            for a; do case $a in -*) ;; *) d=$a;; esac; done
            [ -n "$d" ] || { echo "usage: venv ENV_DIR" >&2; exit 2; }
            /bin/mkdir -p "$d/bin" "$d/lib/python3/site-packages"
            echo "home = /usr/bin" > "$d/pyvenv.cfg"
            for b in python python3 pip pip3; do
              impl=pip; case $b in python*) impl=python;; esac
              printf '#!/bin/dash\nh_name=%s\nh_venv=%s\n. /.harness/lib.sh\n. /.harness/stubs/%s.sh\n' "$b" "$d" "$impl" > "$d/bin/$b"
              /bin/chmod 755 "$d/bin/$b"
            done
            exit 0;;
          *) exit 0;;
        esac;;
    -c) exit 0;;
    -V|--version) echo "Python 3.12.0"; exit 0;;
    -*) shift;;
    *) [ -f "$1" ] || { echo "$h_name: can't open file '$1': [Errno 2] No such file or directory" >&2; exit 2; }
       exit 0;;
  esac
done
exit 0
