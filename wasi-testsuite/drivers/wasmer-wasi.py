"""Runs a WASI command module on Wasmer through wasmer-python (PyPI `wasmer`,
the Wasmer 2.x runtime with its WASI implementation, Cranelift compiler).

    wasmer-wasi.py [--dir GUEST:HOST]... [--env K=V]... MODULE.wasm [ARGS...]
    wasmer-wasi.py --version

Exit status: the guest's; 134 when it traps; 125 when it cannot be loaded.
"""
import re
import sys


def main(argv):
    import wasmer
    from wasmer import Instance, Module, Store, engine, wasi
    from wasmer_compiler_cranelift import Compiler

    if argv[:1] == ["--version"]:
        print(f"wasmer-python {wasmer.__version__}")
        return 0
    dirs, env = [], []
    while argv and argv[0] in ("--dir", "--env"):
        (dirs if argv[0] == "--dir" else env).append(argv[1])
        argv = argv[2:]
    if not argv:
        print("usage: wasmer-wasi.py [--dir G:H]... [--env K=V]... MODULE.wasm [ARGS...]", file=sys.stderr)
        return 2
    path, args = argv[0], argv[1:]
    try:
        store = Store(engine.Universal(Compiler))
        module = Module(store, open(path, "rb").read())
        builder = wasi.StateBuilder(path)
        for a in args:
            builder = builder.argument(a)
        for kv in env:
            k, _, v = kv.partition("=")
            builder = builder.environment(k, v)
        for d in dirs:
            guest, _, host = d.partition(":")
            builder = builder.map_directory(guest, host)
        wasi_env = builder.finalize()
        imports = wasi_env.generate_import_object(store, wasi.get_version(module, strict=False))
        instance = Instance(module, imports)
    except Exception as e:  # a module Wasmer rejects or cannot link
        print(f"wasmer: {e}", file=sys.stderr)
        return 125
    try:
        instance.exports._start()
    except RuntimeError as e:
        # proc_exit unwinds as an error that names the exit code.
        m = re.search(r"exit(?:ed)?(?: with)?(?: code)?:?\s*\(?(\d+)\)?", str(e), re.I)
        if m:
            return int(m.group(1))
        print(f"wasmer: trap: {e}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.exit(code)
