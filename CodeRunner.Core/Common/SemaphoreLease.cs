namespace CodeRunner.Core.Common;

/// <summary>Waits for a semaphore and hands back a lease whose Dispose releases it exactly once.</summary>
public static class SemaphoreLease
{
    public static async Task<IDisposable> LeaseAsync(this SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        return new Lease(gate);
    }

    private sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) gate.Release();
        }
    }
}
