using System.Text;
using System.Globalization;
using CodeRunner.Sandbox.Isolation;

namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// What a warm pool member runs: the interpreter, already started inside its sandbox, blocked reading
/// stdin for a header (see <see cref="Header"/>: the run's rlimits and environment). On claim
/// it lowers every rlimit to the run's (hard limits only go down, so the program cannot undo it), takes
/// the run's environment, and executes /sandbox/main.py (written by the host at claim) as __main__ in a
/// fresh module, compiled under its own name, so tracebacks and line numbers read as in a cold start
/// and the bootstrap's frame is left out. The rest of stdin is the program's. The bootstrap's own
/// imports (resource, gc, types) stay loaded; nothing else of it is visible to the program.
/// Everything that costs time happens before the member waits, off the run's clock: its imports, and a collection
/// followed by gc.freeze(), so the start-up heap is never walked again (the program's first collection took 3–5 ms of
/// every warm run here, as json's import did ~4 ms before the header dropped JSON).
/// When the program ends, the bootstrap does what the interpreter's shutdown does that a program can observe
/// (wait for non-daemon threads, run atexit handlers, drop the program's own modules so their unclosed files
/// are flushed and closed, flush stdout/stderr, the same exit code as the interpreter would give) and then
/// leaves with os._exit: tearing down every module of the interpreter took milliseconds on every warm run.
/// </summary>
internal static class PoolBootstrap
{
    public const string Source = """
        import os, sys, resource, gc
        gc.collect()
        gc.freeze()
        def _coderunner_claim():
            size = b''
            while not size.endswith(b'\n'):
                byte = os.read(0, 1)
                if not byte:
                    os._exit(0)
                size += byte
            data = b''
            while len(data) < int(size):
                chunk = os.read(0, int(size) - len(data))
                if not chunk:
                    os._exit(0)
                data += chunk
            fields = data.decode('utf-8', 'surrogateescape').split('\0')
            count = int(fields[0])
            for i in range(count):
                name, soft, hard = fields[1 + 3 * i:4 + 3 * i]
                resource.setrlimit(getattr(resource, 'RLIMIT_' + name), (int(soft), int(hard)))
            pairs = fields[1 + 3 * count:]
            cwd = os.environ.get('PWD')   # set by bwrap (--chdir), as in a cold start
            os.environ.clear()
            os.environ.update(zip(pairs[0::2], pairs[1::2]))
            if cwd is not None:
                os.environ.setdefault('PWD', cwd)
            extra = [os.path.join('/sandbox', p) for p in os.environ.get('PYTHONPATH', '').split(':') if p]
            sys.path[0:1] = ['/sandbox'] + extra
            sys.argv[:] = ['main.py']
            with open('/sandbox/main.py', 'rb') as program:
                return program.read()
        _source = _coderunner_claim()
        del _coderunner_claim, resource
        try:
            _code = compile(_source, '/sandbox/main.py', 'exec', dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            sys.excepthook(type(error), error.with_traceback(None), None)
            sys.exit(1)
        del _source
        import types
        _main = types.ModuleType('__main__')
        _main.__file__ = '/sandbox/main.py'
        _main.__cached__ = None
        _main.__builtins__ = __builtins__
        sys.modules['__main__'] = _main
        def _coderunner_exit(code):
            import atexit
            # As the interpreter's own shutdown: threading only when the program imported it (its import took 1.5 ms).
            threading = sys.modules.get('threading')
            if threading is not None:
                try:
                    threading._shutdown()
                except BaseException:
                    pass
            atexit._run_exitfuncs()
            for module in [_main] + [m for m in list(sys.modules.values()) if str(getattr(m, '__file__', None) or '').startswith('/sandbox/')]:
                try:
                    module.__dict__.clear()
                except BaseException:
                    pass
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    code = code or 120
            os._exit(code)
        try:
            exec(_code, _main.__dict__)
            _code = 0
        except SystemExit as request:
            _code = request.code
            if _code is None:
                _code = 0
            elif not isinstance(_code, int):
                try:
                    print(_code, file=sys.stderr)
                except BaseException:
                    pass
                _code = 1
        except BaseException as error:
            error.with_traceback(error.__traceback__.tb_next)
            sys.excepthook(type(error), error, error.__traceback__)
            _code = 1
        _coderunner_exit(_code & 0xFF)
        """;

    /// <summary>The interpreter arguments of a pool member (a cold start runs <c>-u main.py</c>).</summary>
    public static IReadOnlyList<string> Arguments { get; } = ["-u", "-c", Source];

    /// <summary>
    /// The header that hands a run to a member: its byte length on one line, then NUL-separated fields: the number of
    /// rlimits, each as name, soft, hard, then the run's complete environment as name, value pairs. NUL cannot occur in
    /// an environment entry, and splitting on it needs no import on the run's clock (json took ~4 ms to import).
    /// </summary>
    public static string Header(RunLimits limits, int addressSpaceAllowanceMb, IReadOnlyDictionary<string, string> environment)
    {
        var values = ResourceLimits.Values(limits, addressSpaceAllowanceMb);
        var fields = new List<string> { values.Count.ToString(CultureInfo.InvariantCulture) };
        foreach (var (name, soft, hard) in values) fields.AddRange([name, soft.ToString(CultureInfo.InvariantCulture), hard.ToString(CultureInfo.InvariantCulture)]);
        foreach (var (name, value) in environment)
        {
            if (name.Contains('\0') || value.Contains('\0')) throw new ArgumentException($"environment variable '{name}' contains NUL", nameof(environment));
            fields.AddRange([name, value]);
        }
        var payload = string.Join('\0', fields);
        return Encoding.UTF8.GetByteCount(payload).ToString(CultureInfo.InvariantCulture) + "\n" + payload;
    }
}
