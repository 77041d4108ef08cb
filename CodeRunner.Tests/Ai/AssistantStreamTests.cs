using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CodeRunner.Core.Ai;
using CodeRunner.Web.Components.Pages.Ai;

namespace CodeRunner.Tests.Ai;

public class AssistantStreamTests
{
    [Fact]
    public async Task The_first_token_is_rendered_before_the_answer_ends()
    {
        var tokens = Channel.CreateUnbounded<string>();
        var firstRender = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        AssistantStream stream = null!;
        stream = new AssistantStream(TimeSpan.FromMilliseconds(50), () =>
        {
            if (stream.Text.Length > 0) firstRender.TrySetResult(stream.Text);
            return Task.CompletedTask;
        });
        var running = stream.RunAsync(ct => tokens.Reader.ReadAllAsync(ct));
        await tokens.Writer.WriteAsync("你好");
        Assert.Equal("你好", await firstRender.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(stream.IsRunning);
        await tokens.Writer.WriteAsync("，世界");
        tokens.Writer.Complete();
        await running;
        Assert.True(stream.Completed);
        Assert.Equal("你好，世界", stream.Text);
    }

    [Fact]
    public async Task A_burst_of_tokens_renders_far_fewer_times_than_tokens()
    {
        var stream = new AssistantStream(TimeSpan.FromMilliseconds(50), () => Task.CompletedTask);
        await stream.RunAsync(_ => Burst(5000));
        Assert.Equal(5000, stream.Text.Length);
        Assert.True(stream.Renders < 100, $"{stream.Renders} renders");
    }

    [Fact]
    public async Task Stop_keeps_what_arrived_and_is_not_an_error()
    {
        var tokens = Channel.CreateUnbounded<string>();
        var stream = new AssistantStream(TimeSpan.FromMilliseconds(10), () => Task.CompletedTask);
        var running = stream.RunAsync(ct => tokens.Reader.ReadAllAsync(ct));
        await tokens.Writer.WriteAsync("part");
        while (stream.Text.Length == 0) await Task.Delay(5);
        stream.Stop();
        await running;
        Assert.True(stream.WasStopped);
        Assert.Null(stream.Error);
        Assert.False(stream.Completed);
        Assert.Equal("part", stream.Text);
    }

    [Fact]
    public async Task A_provider_failure_is_kept_not_thrown()
    {
        var stream = new AssistantStream(TimeSpan.FromMilliseconds(10), () => Task.CompletedTask);
        await stream.RunAsync(_ => Failing());
        Assert.Equal(AiFailure.RateLimited, Assert.IsType<AiProviderError>(stream.Error).Failure);
        Assert.Equal("ab", stream.Text);
        Assert.False(stream.Completed);
    }

    private static async IAsyncEnumerable<string> Burst(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i % 500 == 0) await Task.Yield();
            yield return "x";
        }
    }

    private static async IAsyncEnumerable<string> Failing([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return "a";
        await Task.Yield();
        yield return "b";
        throw new AiProviderError(AiFailure.RateLimited, "429", 429);
    }
}
