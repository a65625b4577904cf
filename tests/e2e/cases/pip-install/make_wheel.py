"""Makes wheels/dockeropt_e2e_hello-1.0-py3-none-any.whl, the tiny offline package this case
installs (pip inside the build cannot reach PyPI here: the machine's proxy CA is not in the
image).  Run: python make_wheel.py"""

import base64
import hashlib
import zipfile
from pathlib import Path

NAME, VERSION = "dockeropt_e2e_hello", "1.0"
DIST = f"{NAME}-{VERSION}.dist-info"
FILES = {
    f"{NAME}/__init__.py": 'def hello():\n    return "hello from a wheel"\n',
    f"{DIST}/METADATA": f"Metadata-Version: 2.1\nName: {NAME.replace('_', '-')}\nVersion: {VERSION}\n",
    f"{DIST}/WHEEL": "Wheel-Version: 1.0\nGenerator: make_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def main() -> None:
    out = Path(__file__).parent / "wheels" / f"{NAME}-{VERSION}-py3-none-any.whl"
    out.parent.mkdir(exist_ok=True)
    record = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in FILES.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
            z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
        record.append(f"{DIST}/RECORD,,")
        z.writestr(zipfile.ZipInfo(f"{DIST}/RECORD", (2020, 1, 1, 0, 0, 0)), "\n".join(record) + "\n")


if __name__ == "__main__":
    main()
