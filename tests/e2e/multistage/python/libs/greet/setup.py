from setuptools import Extension, setup

# A C extension: gcc and the Python headers build it in the builder; the runtime needs neither.
setup(name="greet", version="1.0", ext_modules=[Extension("greet", ["greet.c"])])
