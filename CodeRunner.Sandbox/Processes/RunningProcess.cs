using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using CodeRunner.Sandbox.Execution;
using Microsoft.Win32.SafeHandles;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// A started child process in its own session (so the group can be killed as one), with
/// stdout/stderr delivered as events while it runs, a writable stdin, and exit status plus
/// rusage of the whole reaped tree. Dispose kills it if it is still running and reaps it.
/// </summary>
public sealed class RunningProcess : IAsyncDisposable
{
    private const int P_PID = 1;
    private const int WEXITED = 4;
    private const int WNOHANG = 1;
    private const int WNOWAIT = 0x01000000;

    private readonly Channel<CommandEvent> events = Channel.CreateUnbounded<CommandEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<CommandExitStatus> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim stdinLock = new(1, 1);
    private readonly Lock reapLock = new();
    private readonly Stopwatch wallClock;
    private readonly FileStream stdin;
    private readonly int stdoutFd;
    private readonly int stderrFd;
    private readonly Thread outputThread;
    private long drainDeadlineTimestamp = long.MaxValue;
    private bool reaped;
    private bool stdinClosed;
    private volatile bool killed;

    private RunningProcess(int pid, int stdinFd, int stdoutFd, int stderrFd, Stopwatch wallClock)
    {
        Pid = pid;
        this.wallClock = wallClock;
        this.stdoutFd = stdoutFd;
        this.stderrFd = stderrFd;
        stdin = new FileStream(new SafeFileHandle(stdinFd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        events.Writer.TryWrite(new CommandStarted(pid));
        outputThread = new Thread(PumpOutput) { IsBackground = true, Name = $"output of pid {pid}" };
        outputThread.Start();
        new Thread(WaitForExit) { IsBackground = true, Name = $"wait4 pid {pid}" }.Start();
    }

    public int Pid { get; }

    /// <summary>Started, output chunks as they arrive, exactly one Exited; then the channel completes.</summary>
    public ChannelReader<CommandEvent> Events => events.Reader;

    public Task<CommandExitStatus> Completion => completion.Task;

    /// <summary>Starts <paramref name="command"/>; throws <see cref="CommandStartException"/> when it cannot run.</summary>
    public static unsafe RunningProcess Start(ProcessCommand command)
    {
        var programPath = ResolveProgram(command);
        IReadOnlyDictionary<string, string> environment = (IReadOnlyDictionary<string, string>?)command.Environment ?? Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        var argv = new[] { command.Program }.Concat(command.Arguments).ToArray();
        var envp = environment.Select(pair => $"{pair.Key}={pair.Value}").ToArray();

        int* stdinPipe = stackalloc int[2], stdoutPipe = stackalloc int[2], stderrPipe = stackalloc int[2];
        stdinPipe[0] = stdinPipe[1] = stdoutPipe[0] = stdoutPipe[1] = stderrPipe[0] = stderrPipe[1] = -1;
        // Large enough for glibc's posix_spawn_file_actions_t (80 bytes) and posix_spawnattr_t (336 bytes).
        var fileActions = NativeMemory.AllocZeroed(512);
        var attributes = NativeMemory.AllocZeroed(1024);
        var signalMask = NativeMemory.AllocZeroed(128);
        var defaultSignals = NativeMemory.AllocZeroed(128);
        var nativeStrings = new List<nint>();
        byte** nativeArgv = null, nativeEnvp = null;
        var stopwatch = Stopwatch.StartNew();
        var inheritedFds = new List<int>();
        try
        {
            foreach (var file in command.InheritedFiles) inheritedFds.Add(OpenInherited(file));
            // Close-on-exec so children started concurrently never inherit another child's pipe ends.
            if (NativeMethods.pipe2(stdinPipe, NativeMethods.O_CLOEXEC) != 0 ||
                NativeMethods.pipe2(stdoutPipe, NativeMethods.O_CLOEXEC) != 0 ||
                NativeMethods.pipe2(stderrPipe, NativeMethods.O_CLOEXEC) != 0)
                throw new CommandStartException($"pipe2 failed (errno {Marshal.GetLastPInvokeError()})");

            NativeMethods.posix_spawn_file_actions_init(fileActions);
            NativeMethods.posix_spawn_file_actions_adddup2(fileActions, stdinPipe[0], 0);
            NativeMethods.posix_spawn_file_actions_adddup2(fileActions, stdoutPipe[1], 1);
            NativeMethods.posix_spawn_file_actions_adddup2(fileActions, stderrPipe[1], 2);
            // dup2 clears close-on-exec on the target; our descriptors are all far above 3 + count (the runtime holds the low ones).
            for (var i = 0; i < inheritedFds.Count; i++)
                NativeMethods.posix_spawn_file_actions_adddup2(fileActions, inheritedFds[i], InheritedFile.FirstDescriptor + i);
            if (command.WorkingDirectory is { } workingDirectory)
            {
                if (!Directory.Exists(workingDirectory)) throw new CommandStartException($"working directory does not exist: {workingDirectory}");
                NativeMethods.posix_spawn_file_actions_addchdir_np(fileActions, workingDirectory);
            }

            NativeMethods.posix_spawnattr_init(attributes);
            NativeMethods.sigemptyset(signalMask);
            NativeMethods.sigemptyset(defaultSignals);
            // .NET ignores SIGPIPE; ignored dispositions survive exec, so reset every catchable signal to default.
            for (var signal = 1; signal < 65; signal++)
                if (signal is not (NativeMethods.SIGKILL or NativeMethods.SIGSTOP)) NativeMethods.sigaddset(defaultSignals, signal);
            NativeMethods.posix_spawnattr_setsigmask(attributes, signalMask);
            NativeMethods.posix_spawnattr_setsigdefault(attributes, defaultSignals);
            NativeMethods.posix_spawnattr_setflags(attributes,
                NativeMethods.POSIX_SPAWN_SETSID | NativeMethods.POSIX_SPAWN_SETSIGMASK | NativeMethods.POSIX_SPAWN_SETSIGDEF);

            nativeArgv = ToNativeArray(argv, nativeStrings);
            nativeEnvp = ToNativeArray(envp, nativeStrings);
            var nativePath = Marshal.StringToCoTaskMemUTF8(programPath);
            nativeStrings.Add(nativePath);

            var (error, pid) = SpawnThread.Run(() =>
            {
                int spawned;
                var result = NativeMethods.posix_spawn(&spawned, (byte*)nativePath, fileActions, attributes, nativeArgv, nativeEnvp);
                return (result, spawned);
            });
            if (error != 0) throw new CommandStartException($"cannot start {programPath}: {new System.ComponentModel.Win32Exception(error).Message}");

            NativeMethods.close(stdinPipe[0]); stdinPipe[0] = -1;
            NativeMethods.close(stdoutPipe[1]); stdoutPipe[1] = -1;
            NativeMethods.close(stderrPipe[1]); stderrPipe[1] = -1;
            var process = new RunningProcess(pid, stdinPipe[1], stdoutPipe[0], stderrPipe[0], stopwatch);
            stdinPipe[1] = stdoutPipe[0] = stderrPipe[0] = -1;
            if (command.Stdin is not null || command.CloseStdinAfterInput) process.WriteInitialStdin(command.Stdin, command.CloseStdinAfterInput);
            return process;
        }
        finally
        {
            foreach (var fd in new[] { stdinPipe[0], stdinPipe[1], stdoutPipe[0], stdoutPipe[1], stderrPipe[0], stderrPipe[1] }.Concat(inheritedFds))
                if (fd >= 0) NativeMethods.close(fd);
            NativeMethods.posix_spawn_file_actions_destroy(fileActions);
            NativeMethods.posix_spawnattr_destroy(attributes);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signalMask);
            NativeMemory.Free(defaultSignals);
            foreach (var pointer in nativeStrings) Marshal.FreeCoTaskMem(pointer);
            NativeMemory.Free(nativeArgv);
            NativeMemory.Free(nativeEnvp);
        }
    }

    /// <summary>Writes text to the program's stdin; silently dropped once the program closed its end.</summary>
    public async ValueTask WriteStdinAsync(string text, CancellationToken cancellationToken = default)
    {
        await stdinLock.WaitAsync(cancellationToken);
        try
        {
            if (stdinClosed) return;
            var bytes = Encoding.UTF8.GetBytes(text);
            await Task.Run(() => stdin.Write(bytes), cancellationToken);
        }
        catch (IOException)
        {
            // EPIPE: the program exited or closed stdin; nothing left to deliver.
        }
        finally
        {
            stdinLock.Release();
        }
    }

    public void CloseStdin()
    {
        stdinLock.Wait();
        try
        {
            if (stdinClosed) return;
            stdinClosed = true;
            stdin.Dispose();
        }
        catch (IOException)
        {
        }
        finally
        {
            stdinLock.Release();
        }
    }

    /// <summary>Kills the whole session and every descendant. Safe to call at any time, any number of times.</summary>
    public void Kill()
    {
        killed = true;
        lock (reapLock)
        {
            // Until reaped, the pid (a zombie at worst) cannot be reused, so signalling it is safe.
            if (!reaped) ProcessTree.KillTree(Pid);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted) Kill();
        await Completion;
        CloseStdin();
        stdinLock.Dispose();
    }

    private void WriteInitialStdin(string? text, bool closeAfter) => _ = Task.Run(async () =>
    {
        if (text is not null) await WriteStdinAsync(text);
        if (closeAfter) CloseStdin();
    });

    private unsafe void WaitForExit()
    {
        var siginfo = stackalloc byte[128];
        // Wait without reaping first, so Kill never signals a pid that was already recycled.
        while (NativeMethods.waitid(P_PID, Pid, siginfo, WEXITED | WNOWAIT) != 0 && Marshal.GetLastPInvokeError() == NativeMethods.EINTR) { }

        int status = 0;
        NativeMethods.RUsage usage = default;
        lock (reapLock)
        {
            // The session may still hold processes (daemons) when isolation is off: kill them before reaping the leader.
            NativeMethods.kill(-Pid, NativeMethods.SIGKILL);
            while (NativeMethods.wait4(Pid, &status, 0, &usage) < 0 && Marshal.GetLastPInvokeError() == NativeMethods.EINTR) { }
            reaped = true;
        }
        var wallTime = wallClock.Elapsed;

        // Let the readers drain what is already in the pipes; a leftover writer cannot hold us forever.
        Interlocked.Exchange(ref drainDeadlineTimestamp, Stopwatch.GetTimestamp() + Stopwatch.Frequency / 2);
        outputThread.Join();

        int? exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : null;
        int? signal = (status & 0x7f) != 0 ? status & 0x7f : null;
        var resourceUsage = new ResourceUsage(ToTimeSpan(usage.UserTime), ToTimeSpan(usage.SystemTime), usage.MaxRssKb * 1024);
        var exit = new CommandExitStatus(exitCode, signal, wallTime, resourceUsage, killed);
        events.Writer.TryWrite(new CommandExited(exit));
        events.Writer.TryComplete();
        completion.TrySetResult(exit);
    }

    private unsafe void PumpOutput()
    {
        var pollFds = stackalloc NativeMethods.PollFd[2];
        pollFds[0] = new NativeMethods.PollFd { Fd = stdoutFd, Events = NativeMethods.POLLIN };
        pollFds[1] = new NativeMethods.PollFd { Fd = stderrFd, Events = NativeMethods.POLLIN };
        Decoder[] decoders = [new UTF8Encoding(false).GetDecoder(), new UTF8Encoding(false).GetDecoder()];
        const int bufferSize = 16 * 1024;
        var buffer = stackalloc byte[bufferSize];
        var chars = new char[bufferSize + 4];
        var open = 2;
        while (open > 0 && Stopwatch.GetTimestamp() < Interlocked.Read(ref drainDeadlineTimestamp))
        {
            var ready = NativeMethods.poll(pollFds, 2, 50);
            if (ready <= 0) continue;
            for (var i = 0; i < 2; i++)
            {
                if (pollFds[i].Fd < 0 || pollFds[i].REvents == 0) continue;
                var count = NativeMethods.read(pollFds[i].Fd, buffer, bufferSize);
                if (count > 0)
                {
                    var charCount = decoders[i].GetChars(new ReadOnlySpan<byte>(buffer, (int)count), chars, flush: false);
                    if (charCount > 0) events.Writer.TryWrite(new CommandOutput(i == 0 ? OutputStream.Stdout : OutputStream.Stderr, new string(chars, 0, charCount)));
                }
                else if (count == 0 || Marshal.GetLastPInvokeError() is not (NativeMethods.EINTR or NativeMethods.EAGAIN))
                {
                    NativeMethods.close(pollFds[i].Fd);
                    pollFds[i].Fd = -1;
                    open--;
                }
            }
        }
        for (var i = 0; i < 2; i++)
        {
            if (pollFds[i].Fd >= 0) NativeMethods.close(pollFds[i].Fd);
            var tail = decoders[i].GetChars([], chars, flush: true);
            if (tail > 0) events.Writer.TryWrite(new CommandOutput(i == 0 ? OutputStream.Stdout : OutputStream.Stderr, new string(chars, 0, tail)));
        }
    }

    private static TimeSpan ToTimeSpan(NativeMethods.TimeVal value) =>
        TimeSpan.FromTicks(value.Seconds * TimeSpan.TicksPerSecond + value.Microseconds * TimeSpan.TicksPerMicrosecond);

    private static int OpenInherited(InheritedFile file) => file switch
    {
        InheritedFile.Data data => NativeMethods.MemoryFile("coderunner", data.Content),
        InheritedFile.Directory directory => NativeMethods.open(directory.Path, NativeMethods.O_PATH | NativeMethods.O_DIRECTORY | NativeMethods.O_CLOEXEC, 0) is var fd and >= 0
            ? fd : throw new CommandStartException($"cannot open {directory.Path} (errno {Marshal.GetLastPInvokeError()})"),
        _ => throw new ArgumentOutOfRangeException(nameof(file)),
    };

    private static string ResolveProgram(ProcessCommand command)
    {
        if (command.Program.Contains('/'))
        {
            var path = Path.GetFullPath(command.Program, command.WorkingDirectory ?? Environment.CurrentDirectory);
            return File.Exists(path) ? path : throw new CommandStartException($"program not found: {path}");
        }
        var searchPath = command.Environment?.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command.Program);
            if (File.Exists(candidate)) return candidate;
        }
        throw new CommandStartException($"program not found on PATH: {command.Program}");
    }

    private static unsafe byte** ToNativeArray(string[] values, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Length + 1), (nuint)sizeof(byte*));
        for (var i = 0; i < values.Length; i++)
        {
            var pointer = Marshal.StringToCoTaskMemUTF8(values[i]);
            allocations.Add(pointer);
            array[i] = (byte*)pointer;
        }
        return array;
    }
}
