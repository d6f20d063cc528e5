"""cc_grpc_library: C++ protobuf + gRPC code from .proto files with Debian's protoc.

Bazel 4's native proto rules need protobuf's source repository, which cannot be
downloaded here, so this rule runs the system `protoc` with the system
`grpc_cpp_plugin` and wraps the four generated files per .proto in a cc_library.

    cc_grpc_library(
        name = "admin_proto",
        srcs = ["admin.proto"],
        deps = [":config_proto"],   # other cc_grpc_library targets it imports
    )

Import paths are relative to the repository root: admin.proto in core/admin
imports "core/admin/config.proto", and C++ includes "core/admin/admin.pb.h".
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

_PROTOC = "/usr/bin/protoc"
_SUFFIXES = [".pb.h", ".pb.cc", ".grpc.pb.h", ".grpc.pb.cc"]
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"

ProtoSourcesInfo = provider(
    doc = "The .proto files of a _proto_gen target and of everything it imports.",
    fields = {"transitive": "depset of .proto Files"},
)

def _proto_gen_impl(ctx):
    root = ctx.label.workspace_root  # "" in memkit itself, "external/memkit" when imported
    out_dir = ctx.bin_dir.path + ("/" + root if root else "")
    transitive = depset(
        ctx.files.srcs,
        transitive = [d[ProtoSourcesInfo].transitive for d in ctx.attr.deps],
    )
    package = ctx.label.package
    package_dir = out_dir + "/" + (package + "/" if package else "")
    outs_by_name = {out.path[len(package_dir):]: out for out in ctx.outputs.outs}
    outputs = []
    for src in ctx.files.srcs:
        path_in_repo = src.path[len(root) + 1:] if root else src.path
        base = path_in_repo[len(package) + 1 if package else 0:-len(".proto")]
        generated = [outs_by_name[base + suffix] for suffix in _SUFFIXES]
        outputs += generated
        ctx.actions.run(
            executable = _PROTOC,
            arguments = [
                "--proto_path=" + (root or "."),
                "--cpp_out=" + out_dir,
                "--grpc_out=" + out_dir,
                "--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN,
                path_in_repo,
            ],
            inputs = transitive,
            outputs = generated,
            mnemonic = "ProtocGrpc",
            progress_message = "Generating C++ protobuf and gRPC code for %s" % src.short_path,
        )
    return [
        DefaultInfo(files = depset(outputs)),
        ProtoSourcesInfo(transitive = transitive),
    ]

_proto_gen = rule(
    implementation = _proto_gen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"], mandatory = True),
        "deps": attr.label_list(providers = [ProtoSourcesInfo]),
        # Predeclared so that the cc_library can name the files by label.
        "outs": attr.output_list(mandatory = True),
    },
)

def cc_grpc_library(name, srcs, deps = [], visibility = None, testonly = False):
    """A cc_library of the protobuf messages and gRPC services in srcs.

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other cc_grpc_library targets whose .proto files srcs import.
      visibility: the cc_library's visibility.
      testonly: as for any rule.
    """
    headers = []
    sources = []
    for src in srcs:
        base = src[:-len(".proto")]
        headers += [base + ".pb.h", base + ".grpc.pb.h"]
        sources += [base + ".pb.cc", base + ".grpc.pb.cc"]
    _proto_gen(
        name = name + "_gen",
        srcs = srcs,
        deps = [d + "_gen" for d in deps],
        outs = headers + sources,
        testonly = testonly,
    )
    cc_library(
        name = name,
        srcs = sources,
        hdrs = headers,
        # Generated code is not held to memkit's warning flags.
        copts = ["-Wno-unused-parameter", "-Wno-error"],
        deps = deps + [Label("@memkit_system//:grpc")],
        visibility = visibility,
        testonly = testonly,
    )
