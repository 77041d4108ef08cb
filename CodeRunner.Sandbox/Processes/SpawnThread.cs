using System.Collections.Concurrent;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// Every child is spawned from this one thread that lives as long as the process. Linux sends
/// PR_SET_PDEATHSIG (bwrap --die-with-parent) when the parent *thread* exits, so spawning
/// from a thread-pool thread that later retires would SIGKILL a healthy run.
/// </summary>
internal static class SpawnThread
{
    private static readonly BlockingCollection<Action> Work = [];

    static SpawnThread()
    {
        if (OperatingSystem.IsLinux()) NativeMethods.CloseInheritedDescriptorsOnExec();
        new Thread(() =>
        {
            foreach (var action in Work.GetConsumingEnumerable()) action();
        })
        { IsBackground = true, Name = "process spawner" }.Start();
    }

    public static T Run<T>(Func<T> spawn)
    {
        T result = default!;
        Exception? failure = null;
        using var done = new ManualResetEventSlim();
        Work.Add(() =>
        {
            try { result = spawn(); }
            catch (Exception exception) { failure = exception; }
            finally { done.Set(); }
        });
        done.Wait();
        if (failure is not null) throw failure;
        return result;
    }
}
