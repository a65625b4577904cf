import sys

import greet

print(greet.hello(), "on python", ".".join(map(str, sys.version_info[:2])))
