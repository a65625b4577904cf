"""find_commands / has_option / invocation."""

import pytest

from dockeropt.shell import find_commands, has_option, invocation, parse_shell


def find(text, name, sub=None):
    s = parse_shell(text)
    assert s.ok, s.error
    return find_commands(s, name, sub)


@pytest.mark.parametrize(
    "text",
    [
        "apt-get install curl",
        "apt-get -y install curl",
        "apt-get -o Dpkg::Options::=--force-confold install curl",
        "apt-get -qq -t bookworm-backports install curl",
        "apt-get --option=Foo=1 install curl",
        "sudo apt-get install curl",
        "sudo -E -u root apt-get install curl",
        "env DEBIAN_FRONTEND=noninteractive apt-get install curl",
        "DEBIAN_FRONTEND=noninteractive apt-get install curl",
        "sudo env A=1 nice -n 5 /usr/bin/apt-get install curl",
        "apt-get update && apt-get install curl",
        "if true; then apt-get install curl; fi",
        "(apt-get install curl)",
        "timeout 300 apt-get install curl",
    ],
)
def test_apt_get_install_found(text):
    (m,) = find(text, "apt-get", "install")
    assert m.subcommand == "install"
    assert m.command.argv[m.subcommand_index].value == "install"
    assert m.command.argv[m.program_index].value.endswith("apt-get")
    assert m.program == "apt-get"


@pytest.mark.parametrize(
    "text",
    [
        "apt-get update",
        "apt install curl",
        "echo apt-get install curl",
        "apt-get $OPTS install curl",  # cannot tell where the subcommand is
        "command -v apt-get",
        "$APT install x",
        "apt-get() { :; }; apt-get install x",  # a shell function, not the program
    ],
)
def test_apt_get_install_not_found(text):
    assert find(text, "apt-get", "install") == []


def test_find_without_subcommand():
    ms = find("apt-get update && apt-get install -y x && apt-get clean", "apt-get")
    assert [m.subcommand for m in ms] == ["update", "install", "clean"]


def test_find_apk():
    (m,) = find("apk --no-cache -X http://mirror add curl", "apk", "add")
    assert m.has_option("--no-cache")
    (m,) = find("apk add --virtual .build-deps gcc", "apk", "add")
    assert not m.has_option("--no-cache")


@pytest.mark.parametrize(
    "text, index",
    [
        ("pip install x", 1),
        ("pip3 install x", 1),
        ("pip3.11 install x", 1),
        ("python -m pip install x", 3),
        ("python3 -m pip install x", 3),
        ("python3.12 -m pip install x", 3),
        ("python3 -u -m pip install x", 4),
        ("/usr/local/bin/pip install x", 1),
        ("pip --no-cache-dir install x", 2),
        ("sudo -H pip3 install -r requirements.txt", 3),
    ],
)
def test_find_pip(text, index):
    (m,) = find(text, "pip", "install")
    assert m.program == "pip"
    assert m.subcommand_index == index


def test_pip_not_confused():
    assert find("python3 -c 'import pip' install", "pip", "install") == []
    assert find("pipx install x", "pip", "install") == []
    assert find("pip download x", "pip", "install") == []
    assert find("python3 -m venv /v", "pip") == []


def test_find_python():
    (m,) = find("python3 setup.py install", "python")
    assert m.command.name == "python3"


def test_find_in_substitution_and_pipeline():
    ms = find("curl x | sh && echo $(pip install y)", "pip", "install")
    assert len(ms) == 1 and ms[0].command.in_subshell


@pytest.mark.parametrize(
    "text, options, expected",
    [
        ("apt-get install -y x", ("-y",), True),
        ("apt-get -y install x", ("-y",), True),
        ("apt-get install --yes x", ("-y", "--yes", "--assume-yes"), True),
        ("apt-get install --assume-yes x", ("-y", "--yes", "--assume-yes"), True),
        ("apt-get install -qy x", ("-y",), True),
        ("apt-get install -yq x", ("-y",), True),
        ("apt-get -qq install x", ("-y",), False),
        ("apt-get install x", ("-y",), False),
        ("apt-get install x -y", ("-y",), True),
        ("apt-get install -- -y", ("-y",), False),
        ("apt-get -o APT::Install-Recommends=y install x", ("-y",), False),
        ("apt-get -oy install x", ("-y",), False),  # -o takes the value `y`
        ("apt-get -t yes install x", ("-y", "--yes"), False),
        ("apt-get install --no-install-recommends x", ("--no-install-recommends",), True),
        ("apt-get install --no-install-recommends=true x", ("--no-install-recommends",), True),
        ("apt-get install --no-install-recommendsx", ("--no-install-recommends",), False),
        ("apt-get install '-y' x", ("-y",), True),
        ("apt-get install $Y x", ("-y",), False),
        ("sudo -y apt-get install x", ("-y",), False),  # sudo's option, not apt-get's
        ("pip install --no-cache-dir x", ("--no-cache-dir",), True),
        ("python3 -m pip install --no-cache-dir x", ("--no-cache-dir",), True),
        ("pip install -r --no-cache-dir", ("--no-cache-dir",), False),
        ("apk add --no-cache x", ("--no-cache",), True),
        ("apk add -t --no-cache x", ("--no-cache",), False),
    ],
)
def test_has_option(text, options, expected):
    s = parse_shell(text)
    (cmd,) = s.commands
    assert has_option(cmd, *options) is expected
    ms = find_commands(s, cmd.argv[invocation(cmd).program_index].value.rsplit("/")[-1])
    if ms:
        assert has_option(ms[0], *options) is expected
        assert ms[0].has_option(*options) is expected


def test_invocation_wrappers():
    (cmd,) = parse_shell("sudo -u app env -i A=1 B=2 nohup python3 -m pip install x").commands
    inv = invocation(cmd)
    assert (inv.program, inv.module) == ("python3", "pip")
    assert cmd.argv[inv.program_index].value == "python3"
    assert cmd.argv[inv.args_index].value == "install"


@pytest.mark.parametrize("text", ["command -v pip", "$X y", "sudo", "env -S 'a b'", "env $A x"])
def test_invocation_unknown(text):
    (cmd,) = parse_shell(text).commands
    assert invocation(cmd) is None


def test_offsets_for_insertion():
    text = "apt-get update && apt-get install curl && rm -rf /var/lib/apt/lists/*"
    s = parse_shell(text)
    (m,) = find_commands(s, "apt-get", "install")
    sub = m.command.argv[m.subcommand_index]
    fixed = text[: sub.end] + " -y" + text[sub.end :]
    assert fixed == "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*"
    assert find_commands(parse_shell(fixed), "apt-get", "install")[0].has_option("-y")
