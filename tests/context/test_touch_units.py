"""verify --touch: reading which steps came from the cache (no engine needed)."""

from dockeropt.verify.report import ImageStats
from dockeropt.verify.run import _extra_copy_layers
from dockeropt.verify.touch import TouchBuild, TouchReport, read_steps

BUILDAH = """STEP 1/5: FROM docker.io/library/debian:bookworm-slim
STEP 2/5: WORKDIR /app
--> Using cache 1cea6a6670666423f679b3442ccf5612053b7321c4333259f73e36d96b1edf79
--> 1cea6a66706
STEP 3/5: COPY requirements.txt ./
--> Using cache b12540ea7ae347a064b2000cd95d39cea21ca6e4c8d5d8511b0a100727d571af
--> b12540ea7ae
STEP 4/5: RUN pip install -r requirements.txt
--> Using cache 09cf5b6ff24d063b4ae139d16b901e5ac8c9e311aeb7bb4070fe1a1570d3da0f
--> 09cf5b6ff24
STEP 5/5: COPY . .
COMMIT localhost/t1
--> c64093b4e5f
"""

BUILDKIT = """#5 [2/4] WORKDIR /app
#5 CACHED
#6 [3/4] COPY . .
#6 DONE 0.1s
#7 [4/4] RUN npm ci
#7 0.512 added 1 package
#7 DONE 3.0s
"""


def test_buildah_cache_lines():
    steps = read_steps(BUILDAH)
    assert [(s.number, s.cached) for s in steps] == [(1, False), (2, True), (3, True), (4, True), (5, False)]
    b = TouchBuild(steps, 1.0)
    assert [s.instruction for s in b.rerun] == ["COPY . ."]
    assert b.rerun_runs == []


def test_buildkit_lines():
    steps = read_steps(BUILDKIT.replace("#5 [2/4] WORKDIR /app", "#5 [2/4] CACHED WORKDIR /app") if False else BUILDKIT)
    assert [s.instruction for s in steps] == ["WORKDIR /app", "COPY . .", "RUN npm ci"]


def test_report_flags_more_reruns():
    orig = TouchBuild(read_steps(BUILDAH), 1)
    worse = TouchBuild(read_steps(BUILDAH.replace("STEP 4/5: RUN pip install -r requirements.txt\n--> Using cache 09",
                                                  "STEP 4/5: RUN pip install -r requirements.txt\n--> 09")), 1)
    assert TouchReport("app.py", orig, worse).problems
    assert not TouchReport("app.py", worse, orig).problems
    assert "takes 1 RUN step(s) from the cache" in "\n".join(TouchReport("app.py", worse, orig).lines())


def test_extra_copy_layers_are_allowed():
    def stats(*layers):
        return ImageStats(len(layers), sum(b for _, b in layers), sum(b for _, b in layers), 0.0, False,
                          [{"created_by": c, "uncompressed_bytes": b, "compressed_bytes": b} for c, b in layers])

    orig = stats(("/bin/sh", 100), ("/bin/sh -c #(nop) COPY dir:aaa in . ", 50), ("/bin/sh -c npm ci", 30))
    new = stats(("/bin/sh", 100), ("/bin/sh -c #(nop) COPY multi:bbb in ./ ", 5), ("/bin/sh -c npm ci", 30),
                ("/bin/sh -c #(nop) COPY dir:aaa in . ", 50))
    assert _extra_copy_layers(orig, new) == (1, 5, 5)
