"""cc_fuzz_test: a libFuzzer target that is also an ordinary corpus test.

Under the default build it links //bazel:fuzz_replay_main and `bazel test` runs
the seed corpus through it. Under `--config=fuzz` (clang, libFuzzer, ASan and
UBSan) it links libFuzzer, and `bazel run --config=fuzz //pkg:x_fuzz -- ARGS`
fuzzes; tools/fuzz.sh runs every fuzz target for a bounded time.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")

# Bazel 4 wants select() keys as strings; str(Label) resolves them against
# memkit's repository even when memkit is imported by another workspace.
_FUZZING = str(Label("//bazel:fuzzing"))
_REPLAY_MAIN = str(Label("//bazel:fuzz_replay_main"))

def cc_fuzz_test(name, srcs, corpus, deps = [], tags = [], **kwargs):
    """Args: name; srcs defining LLVMFuzzerTestOneInput; corpus: a directory of seeds; tags: added to "fuzz"."""
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + select({
            _FUZZING: [],
            "//conditions:default": [_REPLAY_MAIN],
        }),
        linkopts = select({
            _FUZZING: ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = native.glob([corpus + "/**"]),
        # Tests run from the runfiles root, where the corpus sits at its package path.
        args = [native.package_name() + "/" + corpus],
        tags = ["fuzz"] + tags,
        **kwargs
    )
